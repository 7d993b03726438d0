import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStudyConfig } from '../../src/study/grid.js';
import type { RunConfig } from '../../src/pipeline/run-config.js';
import { prepareRunData, type RunData } from '../../src/pipeline/run-data.js';
import { trainRun } from '../../src/pipeline/train-run.js';
import { runPath } from '../../src/pipeline/run-folder.js';
import { cutUnitWindows } from '../../src/pipeline/unit-data.js';
import { groupPrivacy, resolveUnits } from '../../src/pipeline/units.js';
import { ledgerEpsilon, PrivacyLedger } from '../../src/accountant/index.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';

/**
 * A corpus folder whose every document is written with ONE letter of its own (a..j), so the
 * letters in a window tell which documents (and users) its text came from. Users by file name:
 * u1: a b c, u2: d e, u3: f g h i, u4: j.
 */
const DOCS: Array<[string, string]> = [
  ['u1-a', 'a'], ['u1-b', 'b'], ['u1-c', 'c'], ['u2-a', 'd'], ['u2-b', 'e'],
  ['u3-a', 'f'], ['u3-b', 'g'], ['u3-c', 'h'], ['u3-d', 'i'], ['u4-a', 'j'],
];
const USER_OF_LETTER = new Map(DOCS.map(([id, l]) => [l, id.slice(0, 2)]));
let corpusDir = '';

beforeAll(() => {
  corpusDir = mkdtempSync(join(tmpdir(), 'dpc-units-'));
  const r = seededRandom('letters');
  for (const [id, letter] of DOCS) {
    const lines = Array.from({ length: 12 + r.int(20) }, () => Array.from({ length: 3 + r.int(5) }, () => letter.repeat(1 + r.int(5))).join(' '));
    writeFileSync(join(corpusDir, `${id}.txt`), lines.join('\n') + '\n');
  }
});

function config(over: Partial<RunConfig> = {}): RunConfig {
  return {
    ...resolveStudyConfig('quick').shared,
    corpus: corpusDir, corpusMaxChars: Infinity, validationFraction: 0.2,
    hiddenSize: 8, embeddingDim: 4, seqLength: 12, batchSize: 2, epochs: 1,
    canaryFormat: 'xyz {digits:3}', insertions: [1, 6], exposureEachEpoch: false, exposureReferences: 50,
    mode: 'scratch', mitigation: 'dp', noiseMultiplier: 1.5, dropout: 0, weightDecay: 0, seed: 3,
    ...over,
  };
}

/** The document letters (a..j) in a window. */
function lettersOf(data: RunData, w: Int32Array): Set<string> {
  return new Set([...data.tokenizer.decode(Array.from(w))].filter((ch) => USER_OF_LETTER.has(ch)));
}

describe('user units in the data', () => {
  const userRun = (): RunData => prepareRunData(config({ privacyUnit: 'user', userPattern: '^(u\\d)-' }));

  it('cuts windows per user: no window holds text of two users; the split is by document; q is over users', () => {
    const data = userRun();
    const units = data.units!;
    expect(units.kind).toBe('user');
    expect(units.ids).toHaveLength(data.train.length);
    expect(data.samplingPopulation).toBe(units.keys.length);
    const trainLetters = new Set<string>();
    data.train.forEach((w, i) => {
      const letters = lettersOf(data, w);
      for (const l of letters) {
        expect(USER_OF_LETTER.get(l), `window ${i}`).toBe(units.keys[units.ids[i]!]);
        trainLetters.add(l);
      }
    });
    // Whole documents are held out: 2 of the 10, and none of their text is trained on.
    const valLetters = new Set(data.validation.flatMap((w) => [...lettersOf(data, w)]));
    expect(valLetters.size).toBe(2);
    for (const l of valLetters) expect(trainLetters.has(l)).toBe(false);
    // Windows of a unit are consecutive.
    for (let i = 1; i < units.ids.length; i++) expect(units.ids[i]! >= units.ids[i - 1]!).toBe(true);
  });

  it('puts every copy of a canary into one user (the one its manifest names), different users for different canaries', () => {
    const data = userRun();
    const units = data.units!;
    const hosts = data.manifest.canaries.map((c) => c.unit);
    expect(new Set(hosts).size).toBe(2);
    for (const c of data.manifest.canaries) {
      expect(units.keys).toContain(c.unit);
      expect(c.positions).toHaveLength(c.insertions);
      const holding = data.train.map((w, i) => ({ text: data.tokenizer.decode(Array.from(w)), unit: units.keys[units.ids[i]!] })).filter((x) => x.text.includes(c.secret));
      expect(holding.length).toBeGreaterThan(0);
      for (const h of holding) expect(h.unit).toBe(c.unit);
    }
    // The same settings place the canaries in the same units (seeded by the data seed).
    expect(userRun().manifest).toEqual(data.manifest);
  });

  it('document units: every window holds one document', () => {
    const data = prepareRunData(config({ privacyUnit: 'document' }));
    expect(data.units!.kind).toBe('document');
    data.train.forEach((w, i) => {
      const letters = [...lettersOf(data, w)];
      expect(letters.length).toBeLessThanOrEqual(1);
      if (letters.length === 1) expect(DOCS.find(([, l]) => l === letters[0])![0] + '.txt').toBe(data.units!.keys[data.units!.ids[i]!]);
    });
  });

  it('a window run keeps one token stream and names the unit with the most windows (brute force over the windows)', () => {
    for (const [over, kind] of [[{ userPattern: '^(u\\d)-' }, 'user'], [{}, 'document']] as const) {
      const data = prepareRunData(config({ ...over }));
      expect(data.units).toBeUndefined();
      const counts = new Map<string, number>();
      for (const w of data.train) {
        const keys = new Set([...lettersOf(data, w)].map((l) => (kind === 'user' ? USER_OF_LETTER.get(l)! : DOCS.find(([, x]) => x === l)![0] + '.txt')));
        for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const most = Math.max(...counts.values());
      expect(data.largestUnit).toEqual({ unit: kind, key: [...counts].find(([, n]) => n === most)![0], windows: most });
      // Some windows span two units: this is what the unit runs avoid.
      expect(data.train.some((w) => new Set([...lettersOf(data, w)].map((l) => USER_OF_LETTER.get(l))).size > 1)).toBe(true);
    }
  });

  it('cuts a unit into disjoint windows plus one overlapping window of its last tokens', () => {
    const t = Int32Array.from({ length: 11 }, (_, i) => i);
    expect(cutUnitWindows(t, 3).map((w) => Array.from(w))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [7, 8, 9, 10]]);
    expect(cutUnitWindows(t.slice(0, 8), 3)).toHaveLength(2);
    expect(cutUnitWindows(t.slice(0, 3), 3)).toHaveLength(0);
  });
});

describe('bad unit settings: one-line InvalidArgumentErrors', () => {
  it.each([
    [{ privacyUnit: 'user' }, /document 'u1-a.txt' has no user/],
    [{ privacyUnit: 'person' as never }, /--privacy-unit must be window, document, user/],
    [{ privacyUnit: 'user', mitigation: 'none' as const, noiseMultiplier: undefined }, /applies to DP-SGD runs/],
    [{ privacyUnit: 'document', dataUnit: 'user' as const }, /needs the data grouped by document/],
    [{ privacyUnit: 'user', userPattern: '^u\\d-' }, /needs a capture group/],
    [{ privacyUnit: 'user', userPattern: '^(u\\d' }, /not a regular expression/],
    [{ privacyUnit: 'document', unitWindows: 0 }, /--unit-windows must be an integer >= 1/],
    [{ privacyUnit: 'document', auditCanaries: 4 }, /one-run audit/],
    [{ privacyUnit: 'user', userPattern: '^(u\\d)-', insertions: [500] }, /no unit is big enough/],
  ] as Array<[Partial<RunConfig>, RegExp]>)('%j', (over, message) => {
    const f = (): unknown => prepareRunData(config(over));
    expect(f).toThrow(InvalidArgumentError);
    expect(f).toThrow(message);
  });

  it('window is the default and public runs have no units', () => {
    expect(resolveUnits({ mitigation: 'none', mode: 'scratch' })).toEqual({ privacyUnit: 'window', dataUnit: null, unitWindows: 4 });
    expect(resolveUnits({ mitigation: 'dp', mode: 'public', privacyUnit: 'user' }).privacyUnit).toBe('window');
    expect(resolveUnits({ mitigation: 'none', mode: 'scratch', dataUnit: 'user' }).dataUnit).toBe('user');
  });
});

describe('group privacy of the largest unit', () => {
  it('is (k eps, delta sum_{j<k} e^{j eps}), and no guarantee once that delta reaches 1', () => {
    const g = groupPrivacy(0.5, 1e-6, { unit: 'user', key: 'u', windows: 3 });
    expect(g.epsilon).toBe(1.5);
    expect(g.delta).toBeCloseTo(1e-6 * (1 + Math.exp(0.5) + Math.exp(1)), 15);
    // The tighter form of Dwork and Roth's k e^{(k-1) eps} delta: never above it.
    expect(g.delta!).toBeLessThanOrEqual(3 * Math.exp(1) * 1e-6);
    expect(groupPrivacy(8, 1e-5, { unit: 'user', key: 'u', windows: 3 }).delta).toBeNull();
    expect(groupPrivacy(8, 1e-5, { unit: 'document', key: 'd', windows: 1 }).delta).toBe(1e-5);
  });
});

describe('trainRun over users', () => {
  it("records epsilon per user, equal to the accountant's for q = batch / users, sigma and steps; a window run gets its group figure", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-unit-run-'));
    mkdirSync(join(dir, 'user'));
    const c = config({ privacyUnit: 'user', userPattern: '^(u\\d)-', unitWindows: 2, epochs: 2 });
    const { metrics, data, model } = await trainRun(c, join(dir, 'user'));
    model.dispose();
    const U = data.units!.keys.length;
    expect(metrics.privacyUnit).toBe('user');
    expect(metrics.trainUnits).toBe(U);
    expect(metrics.unitWindows).toBe(2);
    expect(metrics.samplingRate).toBe(2 / U);
    expect(metrics.steps).toBe(Math.ceil(2 / (2 / U)));
    const want = ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: 2 / U, noiseMultiplier: 1.5, count: metrics.steps }), metrics.delta).epsilon;
    expect(metrics.epsilon).toBe(want);
    expect(metrics.groupPrivacy).toBeUndefined();
    const ledger = JSON.parse(readFileSync(runPath(join(dir, 'user'), 'ledger'), 'utf8')) as { adjacency: string; privacyUnit: string; epsilon: number };
    expect(ledger.adjacency).toMatch(/one user/);
    expect(ledger.privacyUnit).toBe('user');
    expect(ledger.epsilon).toBe(metrics.epsilon);
    const manifest = JSON.parse(readFileSync(runPath(join(dir, 'user'), 'manifest'), 'utf8')) as { canaries: Array<{ unit?: string }> };
    expect(manifest.canaries.every((x) => typeof x.unit === 'string')).toBe(true);

    const w = await trainRun(config({ userPattern: '^(u\\d)-', batchSize: 8 }), join(dir, 'window'));
    w.model.dispose();
    expect(w.metrics.privacyUnit).toBe('window');
    const k = w.data.largestUnit!.windows;
    expect(w.metrics.groupPrivacy).toEqual(groupPrivacy(w.metrics.epsilon, w.metrics.delta, w.data.largestUnit!));
    expect(w.metrics.groupPrivacy!.epsilon).toBeCloseTo(k * w.metrics.epsilon, 10);
    // A per-window ledger does not compose into a per-user run (it would under-report).
    const ft = config({ privacyUnit: 'user', userPattern: '^(u\\d)-', mode: 'fine-tune', initFrom: join(dir, 'window') });
    await expect(trainRun(ft, join(dir, 'ft'))).rejects.toThrow(/its epsilon is per window, this run's per user/);
  });
});
