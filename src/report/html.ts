// What every self-contained page of src/report needs to embed text and data safely: text into HTML, and JSON that is
// safe inside a script element (no `</script>`, no `<!--`, no raw line separators).

/** Text into HTML (element content and double-quoted attributes). */
export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JSON that is safe inside a script element. */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
