// native-host.ts in the browser build (scripts/build-browser.mjs swaps it in): a page cannot load a native addon,
// so the native backend is never available there and backend 'auto' picks the TypeScript backend without a
// warning. Same exports and types as native-host.ts (test/unit/browser-twins.test.ts).
import type * as Node from './native-host.js';

export const ADDON_EXPECTED: typeof Node.ADDON_EXPECTED = false;

export const addonPathOverride: typeof Node.addonPathOverride = () => undefined;

export const requireAddon: typeof Node.requireAddon = () => {
  throw new Error("a browser cannot load native addons (backend 'js' runs there)");
};
