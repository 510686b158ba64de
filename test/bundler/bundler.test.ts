/**
 * The package as a browser app's bundler sees it: `import { connect } from
 * 'mqttkit'`, resolved through package.json `exports` (a temp project with
 * node_modules/mqttkit linked to this repository), bundled by esbuild for the
 * browser with no polyfill settings, must build cleanly and contain nothing
 * of Node. Also: the browser entry and the IIFE global offer the same API as
 * the Node entry, minus the Node transports.
 *
 * The browser build is made here when dist/ is missing or older than src/.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_ESM, BROWSER_IIFE, ensureBrowserBuild, ROOT } from '../../scripts/browser-build.js';

/** What the Node entry has and browsers cannot: the raw TCP and TLS transports, the file store. */
const NODE_ONLY = ['createTlsTransport', 'FileStore', 'tcpTransport', 'tlsTransport'];
/** Browser-only extras, in dist/browser.js but not in the IIFE global (src/browser-global.ts). */
const BROWSER_ONLY = ['IndexedDbStore'];

/** Traces of Node in bundled code: built-in modules, the Buffer and process globals. */
const NODE_TRACES = [
  /require\(["']node:/,
  /from ["']node:/,
  /\bBuffer\b/,
  /\bprocess\./,
  /require\(["'](events|buffer|stream|util|net|tls)["']\)/,
];

describe('bundling for the browser', () => {
  let project: string;

  beforeAll(async () => {
    await ensureBrowserBuild();
    project = await mkdtemp(path.join(tmpdir(), 'mqttkit-bundler-'));
    await mkdir(path.join(project, 'node_modules'));
    await symlink(ROOT, path.join(project, 'node_modules', 'mqttkit'), 'dir');
    await writeFile(
      path.join(project, 'app.js'),
      "import { connect } from 'mqttkit';\nconst client = await connect('wss://broker.example/mqtt');\nawait client.publish('t', 'hi');\n",
    );
  }, 120_000);

  afterAll(() => (project ? rm(project, { recursive: true, force: true }) : undefined));

  it.each([false, true])(
    "esbuild (platform browser, minify %s) bundles `import { connect } from 'mqttkit'` with no Node built-ins",
    async (minify) => {
      const result = await build({
        absWorkingDir: project,
        entryPoints: ['app.js'],
        bundle: true,
        platform: 'browser',
        format: 'esm',
        target: 'es2022',
        minify,
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      expect(result.errors).toEqual([]);
      expect(result.warnings).toEqual([]);
      // Resolved through the `browser` export condition to the one-file ESM browser build.
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((i) => i !== 'app.js').map((i) => path.resolve(project, i))).toEqual([BROWSER_ESM]);
      const code = result.outputFiles[0]?.text ?? '';
      expect(code).toContain('MQTTKIT_ERR_');
      for (const trace of NODE_TRACES) expect(code).not.toMatch(trace);
    },
  );

  it('package.json points the `browser` condition at the browser build and its types', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, unknown>>;
      dependencies?: Record<string, string>;
    };
    expect(pkg.exports['.']?.browser).toEqual({ types: './dist/browser.d.ts', default: './dist/browser.js' });
    expect(Object.keys(pkg.dependencies ?? {})).toContain('ws');
  });
});

describe('the browser API', () => {
  it('src/browser.ts exports what src/index.ts does, minus the Node transports, plus the IndexedDB store', async () => {
    const node = Object.keys(await import('../../src/index.js')).sort();
    const browser = Object.keys(await import('../../src/browser.js')).sort();
    expect(browser).toEqual([...node.filter((name) => !NODE_ONLY.includes(name)), ...BROWSER_ONLY].sort());
    expect(browser).toEqual(expect.arrayContaining(['connect', 'createClient', 'createWebSocketTransport', 'websocketTransport']));
  });

  it('the IIFE defines the global `mqttkit` with the same API minus the browser-only extras, and its code has no trace of Node', async () => {
    await ensureBrowserBuild();
    const code = await readFile(BROWSER_IIFE, 'utf8');
    const sandbox: { mqttkit?: Record<string, unknown> } = {};
    runInNewContext(code, sandbox);
    const browser = Object.keys(await import('../../src/browser.js')).sort();
    expect(Object.keys(sandbox.mqttkit ?? {}).sort()).toEqual(browser.filter((name) => !BROWSER_ONLY.includes(name)));
    for (const trace of NODE_TRACES) expect(code).not.toMatch(trace);
  }, 120_000);
});
