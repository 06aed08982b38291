// A local ESLint rule, `layers/order`: the folders of src/ form a directed graph of layers, and a module may import
// only from a layer ranked below its own (siblings of one rank not from each other). Relative specifiers are
// resolved against the importing file, so `../backends/x.js` is judged by where it lands, not by how it is spelled.
// A folder (or top-level file of src/) missing from the order is itself an error, so a new folder must be placed.
// Deliberately nothing about bare package names: those are dependencies, not layers.
import { dirname, relative, resolve, sep } from 'node:path';

/** The layer of a path relative to the source root: its first folder, or the file's name without extension. */
function layerOf(rel) {
  const first = rel.split(sep)[0];
  return rel.includes(sep) ? first : first.replace(/\.(d\.)?[cm]?[jt]sx?$/, '');
}

const order = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Enforce the layer order of the source folders (lower layers never import higher ones).',
    },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          order: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
        },
        required: ['root', 'order'],
        additionalProperties: false,
      },
    ],
    messages: {
      upward:
        "{{from}} may not import {{to}} ('{{specifier}}'): a layer imports only layers ranked below it ({{order}}).",
      sibling:
        "{{from}} may not import {{to}} ('{{specifier}}'): they share a rank in the layer order and stay independent ({{order}}).",
      unknown: '{{what}} is not in the layer order of eslint.config.js; place it there ({{order}}).',
      outside: "{{from}} may not import '{{specifier}}': it resolves outside {{root}}/.",
    },
  },
  create(context) {
    const { root, order: ranks } = context.options[0];
    const base = resolve(context.cwd, root);
    const rel = relative(base, context.filename);
    if (rel.startsWith('..') || rel === '') return {};
    const rankOf = new Map();
    ranks.forEach((names, i) => names.forEach((n) => rankOf.set(n, i)));
    const orderText = ranks.map((names) => names.join(', ')).join(' < ');
    const from = layerOf(rel);
    const show = (layer) => `${root}/${layer}`;

    function check(node, source) {
      if (!source || typeof source.value !== 'string') return;
      const specifier = source.value;
      if (!specifier.startsWith('.')) return;
      const target = relative(base, resolve(dirname(context.filename), specifier));
      if (target.startsWith('..')) {
        context.report({ node: source, messageId: 'outside', data: { from: show(from), specifier, root } });
        return;
      }
      const to = layerOf(target);
      if (to === from) return;
      if (!rankOf.has(to)) {
        context.report({ node: source, messageId: 'unknown', data: { what: show(to), order: orderText } });
        return;
      }
      const a = rankOf.get(from);
      const b = rankOf.get(to);
      const data = { from: show(from), to: show(to), specifier, order: orderText };
      if (b > a) context.report({ node: source, messageId: 'upward', data });
      else if (b === a) context.report({ node: source, messageId: 'sibling', data });
    }

    return {
      Program(node) {
        if (!rankOf.has(from))
          context.report({ node, messageId: 'unknown', data: { what: show(from), order: orderText } });
      },
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportType: (node) => check(node, node.argument?.literal ?? node.argument),
    };
  },
};

export default { meta: { name: 'layers' }, rules: { order } };
