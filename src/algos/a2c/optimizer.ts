/**
 * The optimizer settings of an A2C run, shared by both backends.
 *
 * @module
 */

import type { OptimizerConfig } from "../../nn/optim.ts";
import type { A2cConfig } from "./config.ts";

/**
 * The optimizer config of an A2C run: RMSProp (α, ε) or Adam at `lr`, global-norm clip
 * `maxGradNorm`, and, with `annealLr`, linear decay to 0 over the run's updates
 * (totalSteps / (N·T) optimizer steps).
 */
export function a2cOptimizerConfig(config: A2cConfig): OptimizerConfig {
  const updates = Math.ceil(config.totalSteps / (config.numEnvs * config.rolloutSteps));
  return {
    kind: config.optimizer,
    lr: config.lr,
    alpha: config.rmsAlpha,
    eps: config.optimizer === "rmsprop" ? config.rmsEps : 1e-8,
    rmsInit: config.rmsInit,
    maxGradNorm: config.maxGradNorm,
    totalSteps: config.annealLr ? updates : 0,
  };
}
