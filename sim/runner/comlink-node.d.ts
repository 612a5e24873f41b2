// comlink ships its Node adapter's types at dist/esm/node-adapter.d.ts; map the module path to them.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  export * from 'comlink/dist/esm/node-adapter';
  export { default } from 'comlink/dist/esm/node-adapter';
}
