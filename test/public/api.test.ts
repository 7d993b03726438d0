import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// These run against the BUILT package (npm test builds first), resolved through package.json's
// "exports" by self-reference, exactly as a user's `import ... from 'dp-canary/...'` is.
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

function load(specifier: string): { urls: string[]; exports: string[]; tfEngine: boolean } {
  const out = execFileSync(process.execPath, [join(here, 'imports-of.mjs'), specifier], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out) as { urls: string[]; exports: string[]; tfEngine: boolean };
}

describe('public API', () => {
  it('dp-canary/accountant loads no tfjs module', () => {
    const r = load('dp-canary/accountant');
    expect(r.exports).toContain('PrivacyLedger');
    expect(r.exports).toContain('calibrateNoise');
    expect(r.exports).toContain('ledgerEpsilon');
    expect(r.exports).toContain('InvalidArgumentError'); // catchable without loading tfjs
    expect(r.urls.some((u) => u.includes('/dist/src/accountant/'))).toBe(true);
    expect(r.urls.filter((u) => u.includes('@tensorflow'))).toEqual([]);
    expect(r.tfEngine).toBe(false);
  });

  it('dp-canary/dpsgd exposes the user-model API and keeps internals out', () => {
    const r = load('dp-canary/dpsgd');
    // The import hook does see tfjs when it is loaded (so the accountant check above can fail).
    expect(r.urls.some((u) => u.includes('@tensorflow/tfjs-core'))).toBe(true);
    for (const name of ['fitPrivately', 'validateModel', 'perExampleLoss', 'layersModelScorer', 'supportedLayers', 'initBackend', 'train', 'LanguageModel', 'causalSelfAttention', 'positionEmbedding']) {
      expect(r.exports, name).toContain(name);
    }
    for (const internal of ['clipPass', 'forwardWithTaps', 'registerWasmKernelFixes', 'privatizeGradient', 'TapSession', 'LAYER_RULES']) {
      expect(r.exports, internal).not.toContain(internal);
    }
  });

  it('dp-canary/canary and the root entry resolve', () => {
    expect(load('dp-canary/canary').exports).toContain('exactExposures');
    const all = load('dp-canary').exports;
    for (const name of ['PrivacyLedger', 'fitPrivately', 'extractSecrets', 'DpCanaryError', 'InvalidArgumentError', 'NonFiniteLossError', 'seededRandom']) expect(all, name).toContain(name);
  });

  it('the root entry is a curated subset of the three subpaths (at most 60 runtime names), without internals', () => {
    const rootNames = load('dp-canary').exports;
    expect(rootNames.length).toBeLessThanOrEqual(60);
    const subpaths = new Set(['dp-canary/accountant', 'dp-canary/dpsgd', 'dp-canary/canary'].flatMap((s) => load(s).exports));
    expect(rootNames.filter((n) => !subpaths.has(n))).toEqual([]);
    const internals = ['owensT', 'skewNormalCdf', 'fitSkewNormal', 'clearRdpCache', 'singleStepRdp', 'pldEpsilonForPhases', 'pldDeltaForPhases', 'flattenEvent', 'DEFAULT_BATCH_ROWS', 'exactRank', 'UserError'];
    expect([...rootNames, ...subpaths].filter((n) => internals.includes(n))).toEqual([]);
    // Pool classes stay on their subpath (the README uses them), off the root.
    expect(subpaths.has('DataParallelPool')).toBe(true);
    expect(rootNames).not.toContain('DataParallelPool');
  });

  it('every export has a declaration file, and only built code is packed', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; import: string } | string>; files: string[]; types: string };
    for (const [key, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(existsSync(join(root, target.types)), `${key} types`).toBe(true);
      expect(existsSync(join(root, target.import)), `${key} import`).toBe(true);
    }
    expect(existsSync(join(root, pkg.types))).toBe(true);
    expect(pkg.files).toContain('dist/src/');
  });

  it('a TypeScript consumer type-checks against the declarations (and wrong calls do not)', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    // Throws (non-zero exit) on any type error, including an unused @ts-expect-error.
    execFileSync(process.execPath, [tsc, '-p', join(here, 'consumer', 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
  });
});
