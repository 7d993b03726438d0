/**
 * The optimizers dp-canary's own trainer implements (src/dpsgd/optimizers.ts), defined once:
 * the type, the CLI's --optimizer check and help, and the study's validation all come from it.
 * A module of its own, free of tfjs, so that validating a name does not load the engine.
 */
export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'adam', 'rmsprop'] as const;

export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** True when `name` is one of {@link OPTIMIZER_NAMES}. */
export function isOptimizerName(name: unknown): name is OptimizerName {
  return (OPTIMIZER_NAMES as readonly unknown[]).includes(name);
}
