import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NaturalSecret } from '../../src/data/secrets/types.js';
import { measureNaturalSecretsOfRun, type NaturalSecretsReport } from '../../src/pipeline/natural-secrets.js';
import { naturalSecretsFromValue, readNaturalSecretsFile } from '../../src/pipeline/natural-secrets-file.js';
import { summarizeNaturalSecrets, type SummarizedSecret } from '../../src/pipeline/natural-summary.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { ONCE_PHONE, SIGNATURE_PHONE, trainNaturalRun } from '../helpers/natural-run.js';

const dir = mkdtempSync(join(tmpdir(), 'dpc-natural-'));

describe('natural secrets of a trained run', () => {
  let run: string;
  let secrets: NaturalSecret[];
  let report: NaturalSecretsReport;
  beforeAll(async () => {
    ({ run, secrets } = await trainNaturalRun(dir));
    const untestable: NaturalSecret = { ...secrets[1]!, kind: 'custom', text: '555#1212', format: '{digits:3}#{digits:4}' };
    report = await measureNaturalSecretsOfRun(run, [...secrets, untestable], { references: 500, maxQueries: 3000 });
  }, 120_000);

  it('measures every secret in input order: exact below 10^7 candidates, estimated above unless a short walk ranks it', () => {
    expect(report.secrets.map((r) => r.text)).toEqual([SIGNATURE_PHONE, ONCE_PHONE, '10.4.7', '555#1212']);
    const [sig, once, ip, bad] = report.secrets;
    // The memorized number is ranked exactly by the walk, with the estimates beside it.
    expect(sig).toMatchObject({ kind: 'phone', testable: true, estimated: false, method: 'exact', occurrences: 40, users: 1 });
    const best = sig!.contexts[sig!.bestContext!]!;
    expect(best.exposure).toBeCloseTo(10 * Math.log2(10) - Math.log2(best.rank!), 12);
    expect(best.extrapolation).toEqual(expect.any(Number));
    expect(once).toMatchObject({ testable: true, estimated: true, method: 'extrapolation' });
    expect(once!.contexts[0]!.rank).toBeUndefined();
    expect(sig!.spaceBits).toBeCloseTo(10 * Math.log2(10), 12);
    expect(sig!.contexts.length).toBe(3);
    expect(once!.contexts.length).toBe(1);
    expect(ip).toMatchObject({ testable: true, estimated: false, method: 'exact' });
    expect(ip!.contexts.every((c) => Number.isInteger(c.rank) && c.rank! >= 1 && c.rank! <= 10_000)).toBe(true);
    expect(ip!.exposure).toBeCloseTo(Math.log2(1e4) - Math.log2(Math.min(...ip!.contexts.map((c) => c.rank!))), 12);
    expect(bad).toMatchObject({ testable: false, exposure: null, extracted: false, reason: expect.stringMatching(/cannot represent the character '#'/) });
    expect(report.settings).toEqual({ kinds: null, maxExactSpace: 1e7, contexts: 3, references: 500, exactWalkRows: 20_000, extractTop: 10, maxQueries: 3000 });
  });

  it('the phone number written 40 times is memorized far above the one written once, and extracted', () => {
    const [sig, once] = report.secrets;
    expect(sig!.exposure!).toBeGreaterThan(15);
    expect(once!.exposure!).toBeLessThan(8);
    expect(sig!.extracted).toBe(true);
    expect(sig!.extractionRank!).toBeLessThanOrEqual(10);
    // Best-first search finds candidates in rank order: the search's position is the exact rank (no ties here).
    expect(sig!.extractionRank).toBe(sig!.contexts[sig!.bestContext!]!.rank);
    expect(sig!.extractionQueries!).toBeLessThanOrEqual(3000);
    expect(once!.extracted).toBe(false);
  });

  it('summarizes per kind by occurrences and users', () => {
    const phone = report.summary.find((k) => k.kind === 'phone')!;
    expect(phone).toMatchObject({ secrets: 2, testable: 2, extracted: 1 });
    expect(phone.byOccurrences.map((b) => [b.bucket, b.secrets])).toEqual([['1', 1], ['16+', 1]]);
    expect(phone.byUsers.map((b) => [b.bucket, b.secrets])).toEqual([['1', 2]]);
    expect(report.summary.map((k) => k.kind)).toEqual(['phone', 'ipv4', 'custom']);
  });

  it('only the kinds asked for; no extraction with a budget of 0', async () => {
    const r = await measureNaturalSecretsOfRun(run, secrets, { kinds: ['ipv4'], maxQueries: 0, contexts: 1 });
    expect(r.secrets.map((s) => s.text)).toEqual(['10.4.7']);
    expect(r.secrets[0]!.contexts.length).toBe(1);
    expect(r.secrets[0]!.extractionQueries).toBeNull();
    await expect(measureNaturalSecretsOfRun(run, secrets, { kinds: [] })).rejects.toThrow(InvalidArgumentError);
    await expect(measureNaturalSecretsOfRun(join(dir, 'nope'), secrets)).rejects.toThrow(/does not exist/);
  });
});

describe('the secrets file', () => {
  const one = {
    kind: 'phone',
    text: '(617) 555-1212',
    format: '({digits:3}) {digits:3}-{digits:4}',
    spaceBits: 33.2,
    occurrences: [{ document: 'm1', user: 'a@x', line: 3, column: 11, context: 'call me at ' }],
    documents: 1,
    users: 1,
  };
  const file = (content: unknown): string => {
    const p = join(dir, `secrets-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };

  it('reads the scanner\'s object and a bare array', () => {
    expect(readNaturalSecretsFile(file({ secrets: [one], corpus: 'x' }))).toEqual([one]);
    expect(readNaturalSecretsFile(file([one, one]))).toEqual([one, one]);
    const noUser = { ...one, occurrences: [{ document: 'm1', line: 0, column: 0, context: '' }] };
    expect(readNaturalSecretsFile(file([noUser]))[0]!.occurrences[0]!.user).toBeUndefined();
  });

  it('rejects a bad file with one error naming the secret and the field', () => {
    const bad: [unknown, RegExp][] = [
      [{ other: [] }, /expected an object with a "secrets" array/],
      [[{ ...one, kind: 'email' }], /secret 0: "kind" must be one of phone, card, ssn, ipv4, custom/],
      [[one, { ...one, format: '{digits:3' }], /secret 1: canary format .* unclosed/],
      [[{ ...one, text: '' }], /"text" must be a non-empty string/],
      [[{ ...one, occurrences: [{ document: 'm1', line: -1, column: 0, context: '' }] }], /occurrence 0: "line" must be an integer >= 0/],
      [[{ ...one, users: 1.5 }], /"users" must be an integer/],
      [[{ ...one, spaceBits: 'x' }], /"spaceBits" must be a finite number/],
    ];
    for (const [value, re] of bad) expect(() => naturalSecretsFromValue(value, 'f.json')).toThrow(re);
    expect(() => readNaturalSecretsFile(file('{not json'))).toThrow(/is not valid JSON/);
    expect(() => readNaturalSecretsFile(join(dir, 'missing.json'))).toThrow(InvalidArgumentError);
  });
});

describe('summary buckets', () => {
  it('mean, median, largest exposure and extracted count per bucket, by hand', () => {
    const s = (occurrences: number, users: number, exposure: number | null, extracted = false): SummarizedSecret => ({
      kind: 'phone', occurrences, users, testable: exposure !== null, exposure, extracted,
    });
    const [k] = summarizeNaturalSecrets([s(1, 1, 1), s(1, 1, 3), s(1, 0, null), s(2, 2, 2), s(3, 1, 4), s(15, 1, 9, true), s(57, 1, 30, true)]);
    expect(k!.byOccurrences).toEqual([
      { bucket: '1', secrets: 3, testable: 2, meanExposure: 2, medianExposure: 2, maxExposure: 3, extracted: 0 },
      { bucket: '2-3', secrets: 2, testable: 2, meanExposure: 3, medianExposure: 3, maxExposure: 4, extracted: 0 },
      { bucket: '4-15', secrets: 1, testable: 1, meanExposure: 9, medianExposure: 9, maxExposure: 9, extracted: 1 },
      { bucket: '16+', secrets: 1, testable: 1, meanExposure: 30, medianExposure: 30, maxExposure: 30, extracted: 1 },
    ]);
    expect(k!.byUsers.map((b) => [b.bucket, b.secrets, b.medianExposure])).toEqual([['unknown', 1, null], ['1', 5, 4], ['2+', 1, 2]]);
    expect(k).toMatchObject({ secrets: 7, testable: 6, extracted: 2 });
  });
});
