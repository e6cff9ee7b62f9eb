/*
 * assets_resolve.mjs - the resolve hook assets_loader.mjs registers: an
 * import of /assets/NAME.js is the file dashboard/js/NAME.js (the same file
 * chronicle-server serves at that path, see dashboard/assets.mk).
 */
const MODULES = new URL('../../dashboard/js/', import.meta.url);

export async function resolve(specifier, context, next) {
  const m = /^\/assets\/([a-z_]+\.js)$/.exec(specifier);
  if (m) return { url: new URL(m[1], MODULES).href, format: 'module', shortCircuit: true };
  return next(specifier, context);
}
