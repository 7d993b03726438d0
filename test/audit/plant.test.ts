import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plantAuditCanaries } from '../../src/audit/plant.js';
import { parseFormat } from '../../src/canary/format.js';
import { manifestFromJson, manifestToJson, type CanaryManifest } from '../../src/canary/manifest.js';
import { buildCharTokenizer } from '../../src/data/char-tokenizer.js';
import { prepareRunData } from '../../src/pipeline/run-data.js';
import type { RunConfig } from '../../src/pipeline/run-config.js';
import { resolveStudyConfig } from '../../src/study/grid.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';
import { tinyCorpus } from '../helpers/tiny-corpus.js';

const lines = tinyCorpus(50).trim().split('\n');
const tokenizer = buildCharTokenizer(lines, { lowercase: true });

function plant(count: number, repeats: number, seqLength = 24, format = 'pin {digits:8}') {
  return plantAuditCanaries({
    format: parseFormat(format), count, repeats, tokenizer, corpusLines: lines, seqLength, firstWindow: 100, random: seededRandom('plant-test'),
  });
}

describe('planting audit canaries', () => {
  it('includes each canary with probability 1/2 (2000 draws within 4 standard deviations of 1000)', () => {
    const p = plant(2000, 1);
    const included = p.manifest.canaries.filter((c) => c.included).length;
    expect(Math.abs(included - 1000)).toBeLessThan(4 * Math.sqrt(500));
    expect(new Set(p.manifest.canaries.map((c) => c.secret)).size).toBe(2000);
  });

  it('gives an included canary `repeats` windows of its own that start with a line break and its text, an excluded one none', () => {
    const p = plant(30, 3);
    const ids = tokenizer.encode('\n');
    let next = 100;
    for (const c of p.manifest.canaries) {
      expect(c.windows.length).toBe(c.included ? 3 : 0);
      for (const w of c.windows) {
        expect(w).toBe(next++);
        const win = p.windows[w - 100]!;
        expect(win.length).toBe(25);
        expect(Array.from(win.slice(0, 1 + c.text.length + 1))).toEqual([...ids, ...tokenizer.encode(c.text), ...ids]);
        expect(tokenizer.decode(Array.from(win))).toContain(`\n${c.text}\n${c.text.slice(0, 5)}`);
      }
    }
    expect(p.windows.length).toBe(next - 100);
  });

  it('refuses a canary longer than a window, and zero canaries or repeats', () => {
    expect(() => plant(5, 1, 10)).toThrow(InvalidArgumentError);
    expect(() => plant(0, 1)).toThrow(InvalidArgumentError);
    expect(() => plant(5, 0)).toThrow(InvalidArgumentError);
  });

  it('round-trips through the manifest, whose validation rejects inconsistent membership', () => {
    const p = plant(10, 2);
    const m: CanaryManifest = { format: 'x {digits:2}', randomSource: 'seeded', corpusUnits: 5, canaries: [], audit: p.manifest };
    expect(manifestFromJson(manifestToJson(m))).toEqual(m);
    const broken = JSON.parse(manifestToJson(m));
    const k = broken.audit.canaries.findIndex((c: { included: boolean }) => c.included);
    broken.audit.canaries[k].windows = [];
    expect(() => manifestFromJson(JSON.stringify(broken))).toThrow(/audit: canary .* must list 2 windows/);
  });
});

describe('run data with audit canaries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dpc-audit-data-'));
  const corpus = join(dir, 'tiny.txt');
  writeFileSync(corpus, tinyCorpus(300));
  const base: RunConfig = {
    ...resolveStudyConfig('quick').shared,
    corpus, corpusMaxChars: 6000, seqLength: 24, canaryFormat: 'my pin is {digits:3}', insertions: [1, 4],
    mode: 'scratch', mitigation: 'none', dropout: 0, weightDecay: 0, seed: 1,
  };

  it('appends the audit windows after the corpus windows, which stay exactly as without an audit', () => {
    const plain = prepareRunData(base);
    const audited = prepareRunData({ ...base, auditCanaries: 40, auditRepeats: 2, auditFormat: 'pin {digits:8}' });
    expect(audited.tokenizer.toJSON()).toEqual(plain.tokenizer.toJSON());
    const n = plain.train.length;
    expect(audited.train.slice(0, n)).toEqual(plain.train);
    const a = audited.manifest.audit!;
    const included = a.canaries.filter((c) => c.included).length;
    expect(audited.train.length).toBe(n + 2 * included);
    // q = batch / samplingPopulation does not depend on how many canaries the coins took in.
    expect(audited.samplingPopulation).toBe(n + 40);
    expect(plain.samplingPopulation).toBe(n);
    expect(audited.manifest.canaries).toEqual(plain.manifest.canaries);
  });

  it('needs an audit format other than the exposure canaries\' format', () => {
    expect(() => prepareRunData({ ...base, auditCanaries: 5, auditFormat: base.canaryFormat })).toThrow(/format of their own/);
  });
});
