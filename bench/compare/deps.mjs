// Library loaders for replay.mjs. `run` copies this file next to the installed
// node_modules (the build folder) and replay.mjs imports it from there, so each bare
// specifier below resolves in that folder with Node's normal ESM conditions. That matters:
// resolving through require() would pick e.g. Yjs's CommonJS build, whose interop getters
// for lib0 made Yjs ~2x slower than its ESM build. One loader per library, so a child
// process loads (and instantiates the wasm of) only the library it measures.
export const loaders = {
  'yjs': () => import('yjs'),
  '@automerge/automerge': () => import('@automerge/automerge'),
  'loro-crdt': () => import('loro-crdt'),
  'diamond-types-node': async () => (await import('diamond-types-node')).default,
};
