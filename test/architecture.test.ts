/**
 * The layers of src/ and what each may import (docs/ARCHITECTURE.md draws the same picture).
 * Reads the import and export-from statements (static, type-only and dynamic) of every .ts file
 * under src/ with TypeScript's own pre-processor, so comments and strings do not count.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** A folder directly under src/, or 'root' for the files in src/ itself (the package entry). */
type Layer = 'util' | 'accountant' | 'data' | 'canary' | 'dpsgd' | 'audit' | 'pipeline' | 'study' | 'cli' | 'root';

/**
 * The layers each layer may import, besides itself. Lower layers never import higher ones:
 *
 *   util <- accountant, data <- canary <- dpsgd, audit <- pipeline <- study <- cli
 *
 * - accountant: privacy math; data: corpora, tokenizers, sanitisation. Neither knows the other.
 * - canary knows a model only as a Scorer and a text only through data's Tokenizer.
 * - dpsgd (the engine) uses the accountant's ledger and implements canary's Scorer;
 *   audit (the one-run privacy audit) plants and scores canaries without any model code.
 * - pipeline: one training run end to end. study: grids of runs built from pipeline runs.
 * - cli: the front end; root: the package entry (src/index.ts), the public layers only.
 */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  util: [],
  accountant: ['util'],
  data: ['util'],
  canary: ['util', 'data'],
  dpsgd: ['util', 'accountant', 'canary'],
  audit: ['util', 'data', 'canary'],
  pipeline: ['util', 'accountant', 'data', 'canary', 'dpsgd', 'audit'],
  study: ['util', 'accountant', 'data', 'canary', 'dpsgd', 'audit', 'pipeline'],
  cli: ['util', 'accountant', 'data', 'canary', 'dpsgd', 'audit', 'pipeline', 'study'],
  root: ['util', 'accountant', 'canary', 'dpsgd'],
};

/** Only the engine loads TensorFlow.js: the accountant, canaries, data and audit run without it. */
const TFJS_LAYERS: readonly Layer[] = ['dpsgd'];

/**
 * Imports that break the table but stay for now, as "file -> imported file" (paths under src/).
 * Empty: every import follows the table.
 */
const KNOWN_EXCEPTIONS: readonly string[] = [];

interface SourceFile {
  /** Path under src/ with '/' separators, e.g. "pipeline/run-data.ts". */
  path: string;
  /** Module specifiers as written ('./x.js', '../study/types.js', '@tensorflow/tfjs-core'). */
  imports: string[];
}

function sourceFiles(dir = SRC): SourceFile[] {
  const out: SourceFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) {
      const imports = ts.preProcessFile(readFileSync(p, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
      out.push({ path: relative(SRC, p).split(sep).join('/'), imports });
    }
  }
  return out;
}

function layerOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? 'root' : path.slice(0, slash);
}

/** Every import of `files` that the table forbids, as "file -> target (why)". */
function violations(files: readonly SourceFile[]): string[] {
  const bad: string[] = [];
  for (const f of files) {
    const from = layerOf(f.path) as Layer;
    const allowed = ALLOWED[from];
    if (allowed === undefined) {
      bad.push(`${f.path}: src/${from}/ is not a layer of the table`);
      continue;
    }
    for (const spec of f.imports) {
      if (spec.startsWith('.')) {
        const target = join(dirname(f.path), spec).split(sep).join('/');
        const to = layerOf(target) as Layer;
        if (to === from || KNOWN_EXCEPTIONS.includes(`${f.path} -> ${target}`)) continue;
        if (!allowed.includes(to)) bad.push(`${f.path} -> ${target} (${from} may not import ${to})`);
      } else if (spec.startsWith('@tensorflow/') && !TFJS_LAYERS.includes(from)) {
        bad.push(`${f.path} -> ${spec} (only ${TFJS_LAYERS.join(', ')} loads tfjs)`);
      }
    }
  }
  return bad;
}

describe('architecture: the layers of src/', () => {
  const files = sourceFiles();

  it('every file imports only what its layer may (the table in docs/ARCHITECTURE.md)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it('every folder of src/ is a layer of the table', () => {
    const layers = new Set(files.map((f) => layerOf(f.path)));
    expect([...layers].sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it('the table has no cycle, so the layers have an order', () => {
    const order: Layer[] = [];
    const left = new Set(Object.keys(ALLOWED) as Layer[]);
    while (left.size > 0) {
      const next = [...left].find((l) => ALLOWED[l].every((d) => order.includes(d)));
      expect(next, `a cycle among ${[...left].join(', ')}`).toBeDefined();
      order.push(next!);
      left.delete(next!);
    }
  });

  it('catches a forbidden import (the check can fail)', () => {
    const fake: SourceFile[] = [
      { path: 'pipeline/run-data.ts', imports: ['../study/types.js', './run-config.js', '../data/sanitize.js'] },
      { path: 'canary/exact.ts', imports: ['@tensorflow/tfjs-core', '../dpsgd/model.js'] },
      { path: 'study/grid.ts', imports: ['../pipeline/run-config.js'] },
    ];
    expect(violations(fake)).toEqual([
      'pipeline/run-data.ts -> study/types.js (pipeline may not import study)',
      'canary/exact.ts -> @tensorflow/tfjs-core (only dpsgd loads tfjs)',
      'canary/exact.ts -> dpsgd/model.js (canary may not import dpsgd)',
    ]);
  });
});
