/**
 * The fused actor-critic head of a discrete (softmax) policy: the TypeScript twin of
 * `shaders/actor_critic.wgsl`, also defining the loss-statistics layout shared by every loss
 * head (`gaussian.ts`, `q_head.ts`).
 *
 * Per row b of a batch of B rows over A actions, with z = logits[b, :], a = actions[b]:
 * ```
 * m = max_j z_j,  ls = log Σ_j exp(z_j − m)            (stable log-softmax)
 * logp_j = (z_j − m) − ls,  p_j = exp(logp_j),  H = −Σ_j p_j·logp_j
 * loss_b = −adv·logp_a − entropyCoef·H + valueCoef·½(R − V)²
 * total  = scale·Σ_b loss_b
 * dLogits[b, j] = scale·(−adv·(1[j = a] − p_j) + entropyCoef·p_j·(logp_j + H))
 * dValues[b]    = scale·valueCoef·(V − R)
 * ```
 * The advantages and returns are constants (no gradient flows into them).
 *
 * @module
 */

import { checkPositiveInt, checkShape, type Floats } from "./types.ts";

/** Number of floats of loss statistics a loss head writes (see {@link LossStat}). */
export const LOSS_STATS = 5;

/**
 * Indices into the loss statistics (`stats: [LOSS_STATS]`) that the loss heads write. Every
 * term is summed over the batch and multiplied by `scale`, so with the default scale 1/B
 * each is a batch mean; `badRows` is a plain count.
 *
 * Actor-critic heads (categorical and Gaussian): `policyLoss` = scale·Σ −adv·log π(a),
 * `valueLoss` = scale·Σ ½(R − V)² (before valueCoef), `entropy` = scale·Σ H(π),
 * `loss` = policyLoss + valueCoef·valueLoss − entropyCoef·entropy.
 *
 * Q head: `policyLoss` slot = scale·Σ q[a] (the mean taken-action value), `valueLoss` slot =
 * ½·scale·Σ δ² with δ = target − q[a], `entropy` slot = scale·Σ |δ|, `loss` = the valueLoss
 * slot. See `q_head.ts`.
 *
 * `badRows`: rows whose loss is NaN or ±∞ (on the GPU also rows whose action is out of range;
 * the twins reject those at the door). A nonzero value is the NaN flag (docs/architecture.md).
 */
export const LossStat = {
  /** Index of the policy loss (Q head: mean Q of the taken actions). */
  policyLoss: 0,
  /** Index of the value loss before its coefficient (Q head: the TD loss). */
  valueLoss: 1,
  /** Index of the entropy (Q head: mean |TD error|). */
  entropy: 2,
  /** Index of the total loss that the gradients differentiate. */
  loss: 3,
  /** Index of the count of bad (non-finite or invalid) rows. */
  badRows: 4,
} as const;

/** Coefficients of the actor-critic losses (categorical and Gaussian heads). */
export interface ActorCriticOptions {
  /** Weight of the value loss ½(R − V)². Default 0.5. */
  valueCoef?: number;
  /** Weight of the entropy bonus (subtracted from the loss). Default 0.01. */
  entropyCoef?: number;
  /**
   * Factor of every row's loss and gradient. Default 1/B (a mean over the batch); the A3C
   * workers use 1 (a sum over their rollout).
   */
  scale?: number;
}

/** Resolves the defaults of {@link ActorCriticOptions} and checks each is a finite number. */
export function resolveActorCriticOptions(
  kernel: string,
  B: number,
  opts: ActorCriticOptions = {},
): Required<ActorCriticOptions> {
  const out = {
    valueCoef: opts.valueCoef ?? 0.5,
    entropyCoef: opts.entropyCoef ?? 0.01,
    scale: opts.scale ?? 1 / B,
  };
  for (const [field, value] of Object.entries(out)) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new RangeError(`${kernel}: ${field} must be a finite number, got ${value}`);
    }
  }
  return out;
}

/** Throws a RangeError naming the kernel and row unless every action lies in [0, n). */
export function checkActions(kernel: string, actions: Int32Array, n: number): void {
  for (let b = 0; b < actions.length; b++) {
    const a = actions[b];
    if (a < 0 || a >= n) {
      throw new RangeError(`${kernel}: actions[${b}] = ${a} is outside [0, ${n})`);
    }
  }
}

/** Inputs and outputs of {@link actorCriticLoss}. */
export interface ActorCriticArgs {
  /** Policy logits, [B, A]. */
  logits: Floats;
  /** Value estimates V(s), [B]. */
  values: Floats;
  /** Taken actions, [B], each in [0, A). */
  actions: Int32Array;
  /** Advantages, [B] (constants). */
  advantages: Floats;
  /** Value targets R, [B] (constants). */
  returns: Floats;
  /** Output: gradient of the total loss w.r.t. the logits, [B, A]. */
  dLogits: Floats;
  /** Output: gradient of the total loss w.r.t. the values, [B]. */
  dValues: Floats;
  /** Output: loss statistics, [LOSS_STATS] (see {@link LossStat}). */
  stats: Floats;
  /** Batch rows. */
  B: number;
  /** Actions per row. */
  A: number;
}

/** Checks the shapes of {@link ActorCriticArgs}; errors name `kernel`, the argument and shapes. */
function checkArgs(kernel: string, x: ActorCriticArgs): void {
  checkPositiveInt(kernel, "B", x.B);
  checkPositiveInt(kernel, "A", x.A);
  checkShape(kernel, "logits", x.logits.length, [x.B, x.A]);
  checkShape(kernel, "values", x.values.length, [x.B]);
  checkShape(kernel, "actions", x.actions.length, [x.B]);
  checkShape(kernel, "advantages", x.advantages.length, [x.B]);
  checkShape(kernel, "returns", x.returns.length, [x.B]);
  checkShape(kernel, "dLogits", x.dLogits.length, [x.B, x.A]);
  checkShape(kernel, "dValues", x.dValues.length, [x.B]);
  checkShape(kernel, "stats", x.stats.length, [LOSS_STATS]);
  checkActions(kernel, x.actions, x.A);
}

/** (m, ls): the maximum and log Σ_j exp(z_j − m) of the row of `logits` starting at `base`. */
export function rowMaxLogSum(logits: Floats, base: number, A: number): [number, number] {
  let m = logits[base];
  for (let j = 1; j < A; j++) m = Math.max(m, logits[base + j]);
  let s = 0;
  for (let j = 0; j < A; j++) s += Math.exp(logits[base + j] - m);
  return [m, Math.log(s)];
}

/** H = −Σ_j p_j·logp_j of the row of `logits` starting at `base`, given its (m, ls). */
export function rowEntropy(logits: Floats, base: number, A: number, m: number, ls: number): number {
  let h = 0;
  for (let j = 0; j < A; j++) {
    const logp = (logits[base + j] - m) - ls;
    h -= Math.exp(logp) * logp;
  }
  return h;
}

/**
 * The fused loss and backward of the categorical actor-critic head (kernel
 * `actor_critic.loss` + `actor_critic.reduce_stats`): writes `dLogits`, `dValues` and the
 * loss statistics. Sums run sequentially over rows (the GPU sums by a tree, so its
 * statistics agree to float rounding).
 */
export function actorCriticLoss(args: ActorCriticArgs, opts: ActorCriticOptions = {}): void {
  const kernel = "actor_critic.loss";
  checkArgs(kernel, args);
  const { valueCoef, entropyCoef, scale } = resolveActorCriticOptions(kernel, args.B, opts);
  const { logits, values, actions, advantages, returns, dLogits, dValues, stats, B, A } = args;
  stats.fill(0);
  for (let b = 0; b < B; b++) {
    const base = b * A;
    const [m, ls] = rowMaxLogSum(logits, base, A);
    const h = rowEntropy(logits, base, A, m, ls);
    const a = actions[b];
    const logpA = (logits[base + a] - m) - ls;
    const adv = advantages[b];
    const diff = returns[b] - values[b];
    const policy = -adv * logpA;
    const value = 0.5 * diff * diff;
    const total = policy + valueCoef * value - entropyCoef * h;
    for (let j = 0; j < A; j++) {
      const logp = (logits[base + j] - m) - ls;
      const pj = Math.exp(logp);
      const onehot = j === a ? 1 : 0;
      dLogits[base + j] = scale * (-adv * (onehot - pj) + entropyCoef * pj * (logp + h));
    }
    dValues[b] = scale * valueCoef * (-diff);
    stats[LossStat.policyLoss] += scale * policy;
    stats[LossStat.valueLoss] += scale * value;
    stats[LossStat.entropy] += scale * h;
    stats[LossStat.loss] += scale * total;
    if (!Number.isFinite(total)) stats[LossStat.badRows] += 1;
  }
}

/** Inputs and outputs of {@link actorCriticEvaluate}. */
export interface ActorCriticEvalArgs {
  /** Policy logits, [B, A]. */
  logits: Floats;
  /** Actions to score, [B], each in [0, A). */
  actions: Int32Array;
  /** Output: log π(a) per row (natural log), [B]. */
  logProb: Floats;
  /** Output: entropy H(π) per row, in nats, [B]. */
  entropy: Floats;
  /** Batch rows. */
  B: number;
  /** Actions per row. */
  A: number;
}

/** Forward only (kernel `actor_critic.evaluate`): log π(a) and H(π) per row. */
export function actorCriticEvaluate(args: ActorCriticEvalArgs): void {
  const kernel = "actor_critic.evaluate";
  const { logits, actions, logProb, entropy, B, A } = args;
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  checkShape(kernel, "logits", logits.length, [B, A]);
  checkShape(kernel, "actions", actions.length, [B]);
  checkShape(kernel, "logProb", logProb.length, [B]);
  checkShape(kernel, "entropy", entropy.length, [B]);
  checkActions(kernel, actions, A);
  for (let b = 0; b < B; b++) {
    const base = b * A;
    const [m, ls] = rowMaxLogSum(logits, base, A);
    logProb[b] = (logits[base + actions[b]] - m) - ls;
    entropy[b] = rowEntropy(logits, base, A, m, ls);
  }
}
