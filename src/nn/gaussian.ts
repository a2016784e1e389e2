/**
 * Gaussian policy head for continuous actions (e.g. Pendulum torque): the TypeScript twin of
 * `shaders/gaussian.wgsl`.
 *
 * The network outputs `mean: [B, D]`; `logStd: [D]` is a state-independent parameter.
 * Sampling draws `a = mean + exp(logStd)·ε` with ε standard normal by Box–Muller from two
 * counter-based uniforms per element (b, d):
 * ```
 * stream = b + streamOffset,  k = counter·2D + 2d  (u32, wrapping)
 * u1 = randUnit(seed, stream, k),  u2 = randUnit(seed, stream, k + 1)
 * ε = sqrt(−2·log(1 − u1))·cos(2π·u2 − π)
 * ```
 * so one step uses counters [c·2D, c·2D + 2D) of each row's stream and steps never overlap.
 * Actions are not clipped (the environment clips). Per row, with z_d = (a_d − μ_d)/σ_d:
 * ```
 * log π(a) = Σ_d (−½z_d² − logσ_d − ½log 2π),   H = Σ_d (logσ_d + ½ + ½log 2π)
 * loss_b = −adv·log π(a) − entropyCoef·H + valueCoef·½(R − V)²,   total = scale·Σ_b loss_b
 * dMean[b, d] = scale·(−adv·z_d/σ_d)
 * dLogStd[d]  = Σ_b scale·(−adv·(z_d² − 1) − entropyCoef)
 * dValues[b]  = scale·valueCoef·(V − R)
 * ```
 * Loss statistics as the categorical head (`LossStat` in `actor_critic.ts`).
 *
 * @module
 */

import { randUnit } from "../util/rng.ts";
import {
  type ActorCriticOptions,
  LOSS_STATS,
  LossStat,
  resolveActorCriticOptions,
} from "./actor_critic.ts";
import { checkU32 } from "./sample.ts";
import { checkPositiveInt, checkShape, type Floats } from "./types.ts";

/** ½·log(2π). */
export const HALF_LOG_2PI: number = 0.5 * Math.log(2 * Math.PI);
/** ½ + ½·log(2π): the entropy of a standard normal, in nats. */
export const HALF_LOG_2PIE: number = 0.5 + HALF_LOG_2PI;

/** Inputs and output of {@link gaussianSample}. */
export interface GaussianSampleArgs {
  /** Means, [B, D]. */
  mean: Floats;
  /** Log standard deviations, [D]. */
  logStd: Floats;
  /** Output: sampled actions, [B, D] (not clipped). */
  actions: Floats;
  /** Batch rows. */
  B: number;
  /** Action dimensions. */
  D: number;
  /** RNG seed (u32). */
  seed: number;
  /** The step counter (u32): the value the GPU reads from its counter buffer. */
  counter: number;
  /** Added to the row index to form the RNG stream (u32). Default 0. */
  streamOffset?: number;
}

/** Checks B, D, the mean and logStd shapes for `kernel`. */
function checkMeanStd(kernel: string, mean: Floats, logStd: Floats, B: number, D: number): void {
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "D", D);
  checkShape(kernel, "mean", mean.length, [B, D]);
  checkShape(kernel, "logStd", logStd.length, [D]);
}

/** Samples a = mean + exp(logStd)·ε (kernel `gaussian.sample`); counters as in the module doc. */
export function gaussianSample(args: GaussianSampleArgs): void {
  const kernel = "gaussian.sample";
  const { mean, logStd, actions, B, D, seed, counter, streamOffset = 0 } = args;
  checkMeanStd(kernel, mean, logStd, B, D);
  checkShape(kernel, "actions", actions.length, [B, D]);
  checkU32(kernel, "seed", seed);
  checkU32(kernel, "counter", counter);
  checkU32(kernel, "streamOffset", streamOffset);
  for (let i = 0; i < B * D; i++) {
    const b = Math.floor(i / D);
    const d = i % D;
    const stream = (b + streamOffset) >>> 0;
    const k = (Math.imul(counter, 2 * D) + 2 * d) >>> 0;
    const u1 = randUnit(seed, stream, k);
    const u2 = randUnit(seed, stream, (k + 1) >>> 0);
    const eps = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2 - Math.PI);
    actions[i] = mean[i] + Math.exp(logStd[d]) * eps;
  }
}

/** Inputs and outputs of {@link gaussianEvaluate}. */
export interface GaussianEvalArgs {
  /** Means, [B, D]. */
  mean: Floats;
  /** Log standard deviations, [D]. */
  logStd: Floats;
  /** Actions to score, [B, D]. */
  actions: Floats;
  /** Output: log π(a) summed over D (natural log of a density), [B]. */
  logProb: Floats;
  /** Output: entropy H(π) summed over D, in nats, [B]. */
  entropy: Floats;
  /** Batch rows. */
  B: number;
  /** Action dimensions. */
  D: number;
}

/** Forward only (kernel `gaussian.evaluate`): log π(a) and H(π) per row. */
export function gaussianEvaluate(args: GaussianEvalArgs): void {
  const kernel = "gaussian.evaluate";
  const { mean, logStd, actions, logProb, entropy, B, D } = args;
  checkMeanStd(kernel, mean, logStd, B, D);
  checkShape(kernel, "actions", actions.length, [B, D]);
  checkShape(kernel, "logProb", logProb.length, [B]);
  checkShape(kernel, "entropy", entropy.length, [B]);
  for (let b = 0; b < B; b++) {
    const base = b * D;
    let logp = 0;
    let h = 0;
    for (let d = 0; d < D; d++) {
      const ls = logStd[d];
      const z = (actions[base + d] - mean[base + d]) * Math.exp(-ls);
      logp += -0.5 * z * z - ls - HALF_LOG_2PI;
      h += ls + HALF_LOG_2PIE;
    }
    logProb[b] = logp;
    entropy[b] = h;
  }
}

/** Inputs and outputs of {@link gaussianLoss}. */
export interface GaussianLossArgs {
  /** Means, [B, D]. */
  mean: Floats;
  /** Log standard deviations, [D]. */
  logStd: Floats;
  /** Taken actions, [B, D]. */
  actions: Floats;
  /** Value estimates V(s), [B]. */
  values: Floats;
  /** Advantages, [B] (constants). */
  advantages: Floats;
  /** Value targets R, [B] (constants). */
  returns: Floats;
  /** Output: gradient w.r.t. the means, [B, D]. */
  dMean: Floats;
  /** Output: gradient w.r.t. logStd summed over the batch, [D] (overwritten). */
  dLogStd: Floats;
  /** Output: gradient w.r.t. the values, [B]. */
  dValues: Floats;
  /** Output: loss statistics, [LOSS_STATS] (see `LossStat`). */
  stats: Floats;
  /** Batch rows. */
  B: number;
  /** Action dimensions. */
  D: number;
}

/**
 * The fused loss and backward of the Gaussian actor-critic head (kernels `gaussian.loss` +
 * `gaussian.reduce`). Batch sums run sequentially over rows (the GPU sums by trees, so its
 * dLogStd and statistics agree to float rounding).
 */
export function gaussianLoss(args: GaussianLossArgs, opts: ActorCriticOptions = {}): void {
  const kernel = "gaussian.loss";
  const { mean, logStd, actions, values, advantages, returns, dMean, dLogStd, dValues, stats } =
    args;
  const { B, D } = args;
  checkMeanStd(kernel, mean, logStd, B, D);
  checkShape(kernel, "actions", actions.length, [B, D]);
  checkShape(kernel, "values", values.length, [B]);
  checkShape(kernel, "advantages", advantages.length, [B]);
  checkShape(kernel, "returns", returns.length, [B]);
  checkShape(kernel, "dMean", dMean.length, [B, D]);
  checkShape(kernel, "dLogStd", dLogStd.length, [D]);
  checkShape(kernel, "dValues", dValues.length, [B]);
  checkShape(kernel, "stats", stats.length, [LOSS_STATS]);
  const { valueCoef, entropyCoef, scale } = resolveActorCriticOptions(kernel, B, opts);
  stats.fill(0);
  dLogStd.fill(0);
  for (let b = 0; b < B; b++) {
    const base = b * D;
    const adv = advantages[b];
    let logp = 0;
    let h = 0;
    for (let d = 0; d < D; d++) {
      const ls = logStd[d];
      const invStd = Math.exp(-ls);
      const z = (actions[base + d] - mean[base + d]) * invStd;
      logp += -0.5 * z * z - ls - HALF_LOG_2PI;
      h += ls + HALF_LOG_2PIE;
      dMean[base + d] = scale * (-adv * z * invStd);
      dLogStd[d] += scale * (-adv * (z * z - 1) - entropyCoef);
    }
    const diff = returns[b] - values[b];
    const policy = -adv * logp;
    const value = 0.5 * diff * diff;
    const total = policy + valueCoef * value - entropyCoef * h;
    dValues[b] = scale * valueCoef * (-diff);
    stats[LossStat.policyLoss] += scale * policy;
    stats[LossStat.valueLoss] += scale * value;
    stats[LossStat.entropy] += scale * h;
    stats[LossStat.loss] += scale * total;
    if (!Number.isFinite(total)) stats[LossStat.badRows] += 1;
  }
}
