import type { AuditCanary, AuditManifest } from '../canary/audit-manifest.js';
import type { CanaryFormat } from '../canary/format.js';
import { generateCanaries } from '../canary/generate.js';
import { newlineId } from '../data/tokenizer-json.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { RandomSource } from '../util/random.js';

/**
 * Audit canaries and their training windows. Each canary is included with probability 1/2,
 * independently; an included canary becomes `repeats` training windows OF ITS OWN, appended
 * after the corpus windows, so including or leaving out one canary adds or removes exactly
 * `repeats` privacy units (DP-SGD's unit is one window) and shifts no other window. A window is
 * a line break and the canary's text at its start (the LSTM starts every window from a zero
 * state, as the scorer does), then further copies of the canary's line up to the window's end:
 * the window is the auditor's to fill, and more copies of the secret give more signal per unit.
 */

/** The default audit format: its own prefix, and a long digit secret for a strong signal per canary. */
export const DEFAULT_AUDIT_FORMAT = 'audit {digits:20}';

/** What planting returns: the extra windows and the manifest part that records them. */
export interface PlantedAudit {
  /** Windows of the included canaries, in manifest order, `repeats` per canary. */
  windows: Int32Array[];
  manifest: AuditManifest;
}

/**
 * Draw `count` audit canaries of `format` (secrets distinct, none already in `corpusLines`, which
 * should hold the exposure canaries too), flip a fair coin for each, and build the windows of the included ones.
 * Window indices in the manifest
 * start at `firstWindow` (the number of corpus windows before them). Throws InvalidArgumentError when a
 * canary does not fit in one window of `seqLength + 1` tokens.
 */
export function plantAuditCanaries(o: {
  format: CanaryFormat;
  count: number;
  repeats: number;
  tokenizer: Tokenizer;
  corpusLines: readonly string[];
  seqLength: number;
  firstWindow: number;
  random: RandomSource;
}): PlantedAudit {
  const { format, count, repeats, tokenizer, seqLength } = o;
  if (!Number.isSafeInteger(count) || count < 1) throw new InvalidArgumentError(`--audit-canaries must be an integer >= 1, got ${count}`);
  if (!Number.isSafeInteger(repeats) || repeats < 1) throw new InvalidArgumentError(`--audit-repeats must be an integer >= 1, got ${repeats}`);
  const w = seqLength + 1;
  const drawn = generateCanaries(format, new Array<number>(count).fill(1), o.random.fork('secrets'), {
    corpus: o.corpusLines,
    namePrefix: 'audit',
  });
  const nl = newlineId(tokenizer);
  const membership = o.random.fork('membership');
  const windows: Int32Array[] = [];
  const canaries: AuditCanary[] = drawn.map((c) => {
    const head = [nl, ...tokenizer.encode(c.text), nl];
    if (head.length > w) {
      throw new InvalidArgumentError(`an audit canary ('${c.text}', ${head.length} tokens with its line breaks) does not fit in a training window of ${w} tokens; use a shorter --audit-format or a longer --seq-length`);
    }
    const included = membership.int(2) === 1;
    const indices: number[] = [];
    if (included) {
      // Copies of the canary's line fill the window: more of the secret per privacy unit.
      const win = new Int32Array(w);
      for (let t = 0; t < w; t++) win[t] = t < head.length ? head[t]! : head[1 + ((t - head.length) % (head.length - 1))]!;
      for (let j = 0; j < repeats; j++) {
        indices.push(o.firstWindow + windows.length);
        windows.push(win.slice());
      }
    }
    return { name: c.name, secret: c.secret, text: c.text, included, windows: indices };
  });
  return { windows, manifest: { format: format.template, repeats, randomSource: o.random.kind, canaries } };
}
