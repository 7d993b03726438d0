import { CELL_NAMES, type CellName } from '../dpsgd/cell-names.js';
import type { RunSettings } from './run-config.js';
import { InvalidArgumentError } from '../util/errors.js';

/** The model-shape settings of a run: its RunSettings fields (heads and ffnSize for a transformer only). */
export type ModelShape = Pick<RunSettings, 'cell' | 'embeddingDim' | 'hiddenSize' | 'layers' | 'heads' | 'ffnSize'>;

/** Transformer shape defaults when only `--cell transformer` is given. */
export const TRANSFORMER_DEFAULTS = { layers: 2, heads: 4, ffnPerWidth: 4 } as const;

/** Parses a `--cell` value (InvalidArgumentError naming the flag and the choices). */
export function parseCell(value: string, flag = '--cell'): CellName {
  if (!(CELL_NAMES as readonly string[]).includes(value)) throw new InvalidArgumentError(`${flag} must be ${CELL_NAMES.join(', ')}; got '${value}'`);
  return value as CellName;
}

/**
 * The shape of a run from a base shape (a preset's or a starting run's) and the flags given.
 * For a transformer: layers 2 unless given (or the base is a transformer), heads 4, ffnSize
 * 4 x hiddenSize, embeddingDim = hiddenSize unless given. A recurrent shape has no heads or
 * ffnSize; `--heads`/`--ffn-size` with it are an InvalidArgumentError.
 */
export function resolveModelShape(base: ModelShape, given: Partial<ModelShape>): ModelShape {
  const cell = given.cell ?? base.cell;
  if (cell !== 'transformer') {
    if (given.heads !== undefined || given.ffnSize !== undefined) throw new InvalidArgumentError(`--heads and --ffn-size apply to --cell transformer, not ${cell}`);
    return { cell, embeddingDim: given.embeddingDim ?? base.embeddingDim, hiddenSize: given.hiddenSize ?? base.hiddenSize, layers: given.layers ?? base.layers };
  }
  const fromTransformer = base.cell === 'transformer';
  const hiddenSize = given.hiddenSize ?? base.hiddenSize;
  const heads = given.heads ?? (fromTransformer ? base.heads : undefined) ?? TRANSFORMER_DEFAULTS.heads;
  if (hiddenSize % heads !== 0) throw new InvalidArgumentError(`--heads ${heads} must divide --hidden-size ${hiddenSize}`);
  const embeddingDim = given.embeddingDim ?? hiddenSize;
  if (embeddingDim !== hiddenSize) throw new InvalidArgumentError(`--embedding-dim ${embeddingDim}: a transformer's embedding width is its --hidden-size ${hiddenSize}`);
  return {
    cell,
    embeddingDim,
    hiddenSize,
    layers: given.layers ?? (fromTransformer ? base.layers : TRANSFORMER_DEFAULTS.layers),
    heads,
    ffnSize: given.ffnSize ?? (fromTransformer && given.hiddenSize === undefined ? base.ffnSize : undefined) ?? TRANSFORMER_DEFAULTS.ffnPerWidth * hiddenSize,
  };
}
