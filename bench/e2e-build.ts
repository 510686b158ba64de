/**
 * mqttkit as it ships, for the end-to-end benchmark.
 *
 * Why not import src/ through tsx: tsx compiles with esbuild's `keepNames`,
 * which wraps every function and arrow function in `__name(fn, "name")`, an
 * `Object.defineProperty` on each closure *each time it is created*. That
 * costs CPU on every call that creates a closure (several per publish) and
 * gives each such closure its own 256-byte property array (about 2.8 KiB per
 * idle client). The shipped package (rollup + TypeScript, target ES2022) has
 * none of that, and MQTT.js, loaded from node_modules, is not transformed
 * at all. So the benchmark compiles src/ with the TypeScript compiler
 * (`transpileModule`, the project's target and module settings) into a
 * temporary directory of plain ES modules, and loads mqttkit from there.
 * `--from-src` measures the tsx-compiled sources instead.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import type * as CodecApi from '../src/codec/index.js';
import type * as NodeApi from '../src/node.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export interface Mqttkit {
  node: typeof NodeApi;
  codec: typeof CodecApi;
  /** Where it was loaded from, for the report. */
  source: string;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...tsFiles(p));
    else if (d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...allFiles(p));
    else if (d.isFile()) out.push(p);
  }
  return out.sort();
}

/** The content hash of src/ as bench/run.ts computes it (sources ['src']), to name the version compiled. */
export function srcHash(): string {
  const hash = createHash('sha256');
  for (const f of allFiles(path.join(root, 'src'))) hash.update(path.relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  return hash.digest('hex').slice(0, 12);
}

/** Compiles every module of src/ to `outDir` (plain ES2022 modules, same layout); returns outDir. */
export function compileMqttkit(outDir: string): string {
  const srcDir = path.join(root, 'src');
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    sourceMap: false,
  };
  for (const file of tsFiles(srcDir)) {
    const result = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file, reportDiagnostics: true });
    const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0) {
      throw new Error(`${path.relative(root, file)}: ${ts.flattenDiagnosticMessageText(errors[0].messageText, '\n')}`);
    }
    const target = path.join(outDir, path.relative(srcDir, file)).replace(/\.ts$/, '.js');
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, result.outputText);
  }
  writeFileSync(path.join(outDir, 'package.json'), '{ "type": "module" }\n');
  // The runtime dependencies (ws) resolve from the project's node_modules, as from an installed package.
  const modules = path.join(outDir, 'node_modules');
  if (!existsSync(modules)) symlinkSync(path.join(root, 'node_modules'), modules, 'dir');
  return outDir;
}

/** mqttkit compiled by {@link compileMqttkit} into `buildDir`, or (without it) src/ through tsx. */
export async function loadMqttkit(buildDir: string | undefined): Promise<Mqttkit> {
  if (buildDir === undefined) {
    const [node, codec] = await Promise.all([import('../src/node.js'), import('../src/codec/index.js')]);
    return { node, codec, source: 'src/ compiled by tsx (esbuild, keepNames)' };
  }
  const url = (p: string) => pathToFileURL(path.join(buildDir, p)).href;
  const [node, codec] = (await Promise.all([import(url('node.js')), import(url('codec/index.js'))])) as [typeof NodeApi, typeof CodecApi];
  return { node, codec, source: 'src/ compiled by the TypeScript compiler (target ES2022), as shipped' };
}
