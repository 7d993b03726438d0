/**
 * DP-SGD for a user's own tf.LayersModel (Sequential or functional): per-example clipping by
 * per-layer rules (./rules, one file per layer kind), Poisson sampling, logical batches split
 * into physical chunks, Gaussian noise, the privacy ledger, checkpoints; and the canary Scorer
 * for a user's next-token model.
 */
export { fitPrivately, type FitPrivatelyOptions, type FitPrivatelyResult, type FitCallbacks, type FitLogs } from './fit.js';
export { evaluateModel } from './evaluate.js';
export { perExampleLoss, type PerExampleLoss, type LossName } from './losses.js';
export { validateModel } from './graph.js';
export { layersModelScorer, type LayersModelScorerOptions } from './scorer.js';
export { LAYER_RULES } from './rules/index.js';
export type { LayerRule, RuleContext } from './types.js';
export type { ParamUse } from '../per-example/types.js';
