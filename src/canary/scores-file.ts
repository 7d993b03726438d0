import { InvalidArgumentError } from '../util/errors.js';

/**
 * Model-agnostic exposure input: log-perplexities in bits, exported from any model.
 * `{"canaries": {"<name>": number[]}, "reference": number[]}`: each canary's scores (one per
 * model or checkpoint, say) and the scores of uniformly random secrets of the same format.
 */
export interface ScoresFile {
  canaries: Record<string, number[]>;
  reference: number[];
}

function finiteArray(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw new InvalidArgumentError(`${what} must be an array of numbers`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new InvalidArgumentError(`${what}[${i}] must be a finite number, got ${JSON.stringify(x)}`);
    }
  });
  return v as number[];
}

/** Parse and validate a scores file's text; `source` names it in error messages. */
export function parseScoresJson(text: string, source: string): ScoresFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`${source} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidArgumentError(`${source} must hold a JSON object {"canaries": {...}, "reference": [...]}`);
  }
  const obj = raw as Record<string, unknown>;
  const c = obj['canaries'];
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw new InvalidArgumentError(`${source}: "canaries" must be an object mapping canary names to arrays of scores`);
  }
  const canaries: Record<string, number[]> = {};
  for (const [name, scores] of Object.entries(c as Record<string, unknown>)) {
    canaries[name] = finiteArray(scores, `${source}: canaries["${name}"]`);
  }
  if (Object.keys(canaries).length === 0) throw new InvalidArgumentError(`${source}: "canaries" is empty`);
  const reference = finiteArray(obj['reference'], `${source}: "reference"`);
  return { canaries, reference };
}
