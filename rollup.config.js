// Builds dist/:
// - Node: ESM and CJS for each entry point, plus bundled .d.ts types;
// - browser: dist/browser.js (ESM, one file, for bundlers: the `browser` export condition)
//   and dist/mqttkit.min.js (minified IIFE, global `mqttkit`, for <script> tags: src/browser-global.ts), with types in dist/browser.d.ts.
// `rollup -c --environment MQTTKIT_BUILD:browser` builds only the browser files (the browser tests do this).
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

const entries = { index: 'src/index.ts', codec: 'src/codec/index.ts' };
const external = (id) => ['ws', 'debug'].includes(id) || id.startsWith('node:');

/** Node's modules (and the usual polyfill names): the browser builds must reach none of them. */
const NODE_ONLY = /^(node:|ws$|buffer$|process$|events$|stream$|util$|net$|tls$|fs$|path$|crypto$|os$|http$|https$)/;

/** Fails the build when browser code imports something only Node has, instead of leaving a shim to the bundler. */
const noNodeImports = {
  name: 'mqttkit-no-node-imports',
  resolveId(id, importer) {
    if (NODE_ONLY.test(id)) this.error(`${importer ?? 'an entry'} imports "${id}", which browsers do not have`);
    return null;
  },
};

const node = [
  {
    input: entries,
    external,
    plugins: [typescript({ tsconfig: './tsconfig.build.json' })],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true },
    ],
  },
  {
    input: entries,
    external,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name]-[hash].d.ts' },
  },
];

/** The `mqttkit` command (ESM only: its entry uses top-level await). */
const cli = {
  input: { cli: 'src/cli/main.ts' },
  external,
  plugins: [typescript({ tsconfig: './tsconfig.build.json' })],
  output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true },
};

const browser = [
  {
    input: 'src/browser.ts',
    plugins: [noNodeImports, typescript({ tsconfig: './tsconfig.build.json' })],
    output: { file: 'dist/browser.js', format: 'es', sourcemap: true },
  },
  {
    // The global for <script> tags: the client without opt-in extras (src/browser-global.ts says which).
    input: 'src/browser-global.ts',
    plugins: [noNodeImports, typescript({ tsconfig: './tsconfig.build.json' })],
    output: {
      file: 'dist/mqttkit.min.js',
      format: 'iife',
      name: 'mqttkit',
      sourcemap: true,
      plugins: [terser({ ecma: 2020, compress: { passes: 2 }, format: { comments: false } })],
    },
  },
  {
    input: 'src/browser.ts',
    plugins: [noNodeImports, dts({ tsconfig: './tsconfig.build.json' })],
    output: { file: 'dist/browser.d.ts', format: 'es' },
  },
];

export default process.env.MQTTKIT_BUILD === 'browser' ? browser : [...node, cli, ...browser];
