import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { publicDeclarations, type DocExample } from './doc-examples.js';

// Every public function of the package's entry points carries a runnable ```ts example in its
// doc comment (as tfjs-core's API does), and every example runs: against the BUILT package,
// imported by its public names ('dp-canary/accountant', ...) exactly as a user imports it.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entries = ['src/index.ts', 'src/accountant/index.ts', 'src/dpsgd/public.ts', 'src/canary/index.ts'].map((e) => join(root, e));
const declarations = publicDeclarations(root, entries);
const examples: DocExample[] = [...new Map(declarations.flatMap((d) => d.examples).map((e) => [e.where, e])).values()];

/** Writes each example as a module inside the package (so 'dp-canary/...' resolves by self-reference). */
function writeExamples(ext: '.mts' | '.mjs'): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(root, 'dist', '.doc-examples-'));
  const files = examples.map((e, i) => {
    const file = join(dir, `example-${i}${ext}`);
    const code = ext === '.mts' ? e.code : ts.transpileModule(e.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    // `export {}` makes every block a module (its own scope, top-level await allowed).
    writeFileSync(file, `${code}\nexport {};\n`);
    return file;
  });
  return { dir, files };
}

describe('doc comment examples', () => {
  it('finds the entry points\' exports and their examples', () => {
    // The parser itself: known exports with known kinds, and blocks found.
    const byName = new Map(declarations.map((d) => [d.name, d]));
    expect(byName.get('fitPrivately')?.kind).toBe('function');
    expect(byName.get('PrivacyLedger')?.kind).toBe('class');
    expect(byName.get('DEFAULT_ORDERS')?.kind).toBe('value');
    expect(byName.get('Scorer')?.kind).toBe('type');
    expect(byName.get('eventFromJSON')?.kind).toBe('function'); // a const holding a function
    expect(examples.length).toBeGreaterThan(40);
  });

  it('every exported function has a ```ts example in its doc comment', () => {
    const missing = declarations.filter((d) => d.kind === 'function' && d.examples.length === 0).map((d) => `${d.name} (${d.where}, exported by ${d.entry})`);
    expect([...new Set(missing)]).toEqual([]);
  });

  it('every example type-checks against the built declarations', () => {
    const { dir, files } = writeExamples('.mts');
    try {
      const program = ts.createProgram(files, {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        lib: ['lib.es2022.d.ts'],
        types: ['node'],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
      });
      const errors = ts.getPreEmitDiagnostics(program).map((d) => {
        const i = d.file === undefined ? -1 : files.indexOf(d.file.fileName);
        const line = d.file !== undefined && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
        const where = i < 0 ? (d.file?.fileName ?? '') : `${examples[i]!.where} + ${line} lines`;
        return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every example runs without throwing', async () => {
    const { dir, files } = writeExamples('.mjs');
    const results = join(dir, 'results.json');
    const runner = join(dir, 'run.mjs');
    // One process for all (tfjs loads once); each example is its own module, run in order.
    writeFileSync(
      runner,
      `import { writeFileSync } from 'node:fs';
const files = ${JSON.stringify(files.map((f) => pathToFileURL(f).href))};
const failed = [];
for (let i = 0; i < files.length; i++) {
  try { await import(files[i]); } catch (err) { failed.push({ i, message: String(err && err.stack || err).split('\\n').slice(0, 3).join(' | ') }); }
}
writeFileSync(${JSON.stringify(results)}, JSON.stringify(failed));
`,
    );
    try {
      await promisify(execFile)(process.execPath, [runner], { cwd: root, encoding: 'utf8', timeout: 590_000, env: { ...process.env, DP_CANARY_BACKEND: 'cpu' } });
      const failed = JSON.parse(readFileSync(results, 'utf8')) as { i: number; message: string }[];
      expect(failed.map((f) => `${examples[f.i]!.where}: ${f.message}`)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
