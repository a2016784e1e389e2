/**
 * The Q-learning head: the TypeScript twin of `shaders/q_head.wgsl`.
 *
 * The TD loss on the taken actions, for one-step Q-learning, Sarsa and n-step Q-learning
 * (the targets come from the target network and are constants here). Per row b with
 * a = actions[b] and δ = targets[b] − q[b, a]:
 * ```
 * loss  = ½·scale·Σ_b δ²
 * dq[b, j] = scale·(q[b, a] − targets[b]) if j = a, else 0
 * ```
 * Loss statistics use the 5-float layout of `LossStat` (`actor_critic.ts`): [0] scale·Σ q[b, a]
 * (the mean Q of the taken actions at scale 1/B), [1] ½·scale·Σ δ², [2] scale·Σ |δ|,
 * [3] the total loss (= [1]), [4] rows whose δ is not finite.
 *
 * {@link epsilonGreedy} picks a uniformly random action with probability ε[b] (each worker
 * or env its own ε) and the greedy one otherwise, from two counter-based uniforms per row:
 * u = randUnit(seed, b + streamOffset, 2·counter) decides, r = randUnit(…, 2·counter + 1)
 * picks min(⌊r·A⌋, A − 1) in f32. Bit-exact with the GPU. Plain greedy selection is
 * `greedyActions` of `sample.ts` (argmax, ties to the lowest index).
 *
 * @module
 */

import { randUnit } from "../util/rng.ts";
import { checkActions, LOSS_STATS, LossStat } from "./actor_critic.ts";
import { checkU32 } from "./sample.ts";
import { checkPositiveInt, checkShape, type Floats } from "./types.ts";

/** Inputs and outputs of {@link qLoss}. */
export interface QLossArgs {
  /** Action values, [B, A]. */
  q: Floats;
  /** Taken actions, [B], each in [0, A). */
  actions: Int32Array;
  /** TD targets, [B] (constants). */
  targets: Floats;
  /** Output: gradient w.r.t. q, [B, A]; zero except at the taken actions. */
  dq: Floats;
  /** Output: loss statistics, [LOSS_STATS] (layout in the module doc). */
  stats: Floats;
  /** Batch rows. */
  B: number;
  /** Actions per row. */
  A: number;
}

/** Options of {@link qLoss}. */
export interface QLossOptions {
  /** Factor of the loss and gradient. Default 1/B (a batch mean); A3C-style workers use 1. */
  scale?: number;
}

/** Resolves the default scale 1/B and checks it is finite. */
export function resolveQScale(kernel: string, B: number, opts: QLossOptions = {}): number {
  const scale = opts.scale ?? 1 / B;
  if (typeof scale !== "number" || !Number.isFinite(scale)) {
    throw new RangeError(`${kernel}: scale must be a finite number, got ${scale}`);
  }
  return scale;
}

/** The TD loss and its gradient (kernels `q_head.loss` + `actor_critic.reduce_stats`). */
export function qLoss(args: QLossArgs, opts: QLossOptions = {}): void {
  const kernel = "q_head.loss";
  const { q, actions, targets, dq, stats, B, A } = args;
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  checkShape(kernel, "q", q.length, [B, A]);
  checkShape(kernel, "actions", actions.length, [B]);
  checkShape(kernel, "targets", targets.length, [B]);
  checkShape(kernel, "dq", dq.length, [B, A]);
  checkShape(kernel, "stats", stats.length, [LOSS_STATS]);
  checkActions(kernel, actions, A);
  const scale = resolveQScale(kernel, B, opts);
  stats.fill(0);
  for (let b = 0; b < B; b++) {
    const base = b * A;
    const a = actions[b];
    const qa = q[base + a];
    const delta = targets[b] - qa;
    for (let j = 0; j < A; j++) dq[base + j] = j === a ? scale * (-delta) : 0;
    const td = 0.5 * delta * delta;
    stats[LossStat.policyLoss] += scale * qa;
    stats[LossStat.valueLoss] += scale * td;
    stats[LossStat.entropy] += scale * Math.abs(delta);
    stats[LossStat.loss] += scale * td;
    if (!Number.isFinite(delta)) stats[LossStat.badRows] += 1;
  }
}

/** Inputs and output of {@link epsilonGreedy}. */
export interface EpsilonGreedyArgs {
  /** Action values, [B, A] (read as f32 for the argmax). */
  q: Floats;
  /** Exploration rate per row, [B], in [0, 1] (read as f32). */
  epsilon: Floats;
  /** Output: chosen actions, [B]. */
  actions: Int32Array;
  /** Batch rows. */
  B: number;
  /** Actions per row. */
  A: number;
  /** RNG seed (u32). */
  seed: number;
  /** The step counter (u32): the value the GPU reads from its counter buffer. */
  counter: number;
  /** Added to the row index to form the RNG stream (u32). Default 0. */
  streamOffset?: number;
}

/** ε-greedy selection (kernel `q_head.epsilon_greedy`), bit-exact with the GPU. */
export function epsilonGreedy(args: EpsilonGreedyArgs): void {
  const kernel = "q_head.epsilon_greedy";
  const { q, epsilon, actions, B, A, seed, counter, streamOffset = 0 } = args;
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "A", A);
  checkShape(kernel, "q", q.length, [B, A]);
  checkShape(kernel, "epsilon", epsilon.length, [B]);
  checkShape(kernel, "actions", actions.length, [B]);
  checkU32(kernel, "seed", seed);
  checkU32(kernel, "counter", counter);
  checkU32(kernel, "streamOffset", streamOffset);
  const c2 = (2 * counter) >>> 0;
  for (let b = 0; b < B; b++) {
    const stream = (b + streamOffset) >>> 0;
    const u = randUnit(seed, stream, c2);
    let action = 0;
    if (u < Math.fround(epsilon[b])) {
      const r = randUnit(seed, stream, (c2 + 1) >>> 0);
      action = Math.min(Math.floor(Math.fround(r * A)), A - 1);
    } else {
      const base = b * A;
      let best = Math.fround(q[base]);
      for (let j = 1; j < A; j++) {
        const v = Math.fround(q[base + j]);
        if (v > best) {
          best = v;
          action = j;
        }
      }
    }
    actions[b] = action;
  }
}
