/**
 * Generalized advantage estimation, GAE(γ, λ) (Schulman et al., 2016), over a rollout of T
 * steps for N envs: the TypeScript twin of `shaders/gae.wgsl`. λ = 1 gives the A3C paper's
 * n-step returns bootstrapped from the last value; λ = 0 gives one-step TD errors.
 *
 * @module
 */

import { checkLength, checkPositiveInt, type Floats } from "../nn/types.ts";

/** A rollout's inputs to GAE; arrays are time-major [T, N]. */
export interface GaeInputs {
  /** Rewards r_t, [T, N]. */
  readonly rewards: Floats;
  /** Value estimates V(s_t), [T, N]. */
  readonly values: Floats;
  /** 1 where step t ended its episode in a terminal state (no bootstrap), [T, N]. */
  readonly terminated: ArrayLike<number>;
  /** 1 where step t ended its episode by the time limit, [T, N]. */
  readonly truncated: ArrayLike<number>;
  /** V(s_T), the value of the observation after the rollout, [N]. */
  readonly lastValues: Floats;
  /**
   * V(s_final) per env, [N]: the value of the final observation of the episode the env's
   * time limit cut off in this rollout (the env's `finalObs`), read only at a step with
   * `truncated` 1. One per env and rollout suffices because a truncated episode lasts the
   * whole time limit, so T ≤ the limit (checked by the runners) allows at most one.
   */
  readonly finalValues: Floats;
}

/** `gae.wgsl`'s `Params`: the rollout's shape [T, N], discount γ and trace parameter λ. */
export interface GaeParams {
  /** Steps T of the rollout. */
  readonly T: number;
  /** Envs N. */
  readonly N: number;
  /** Discount factor γ in (0, 1]. */
  readonly gamma: number;
  /** GAE λ in [0, 1]; 1 gives n-step returns. */
  readonly lambda: number;
}

/** Arguments of {@link computeGae}: the kernel's `Params` and its bindings by the same names. */
export interface GaeArgs extends GaeInputs, GaeParams {
  /** Output advantages A_t, [T, N]. */
  readonly advantages: Floats;
  /** Output λ-returns R_t = A_t + V_t, [T, N]. */
  readonly returns: Floats;
}

/** Throws a RangeError naming the field unless γ ∈ (0, 1], λ ∈ [0, 1] and T, N ≥ 1. */
export function checkGaeParams({ T, N, gamma, lambda }: GaeParams): void {
  if (!(gamma > 0 && gamma <= 1)) throw new RangeError(`gamma: got ${gamma}, allowed (0, 1]`);
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`lambda: got ${lambda}, allowed [0, 1]`);
  checkPositiveInt("gae", "T", T);
  checkPositiveInt("gae", "N", N);
}

/**
 * Computes advantages A_t and λ-returns R_t = A_t + V_t (both [T, N]) in place of the given
 * output arrays. A terminated step bootstraps from 0; a truncated step (time limit) from
 * V(s_final), the value of the observation the episode ended in (Pardo et al. 2018, "Time
 * Limits in Reinforcement Learning"; Stable-Baselines3 adds γV(terminal_observation) to the
 * reward), and the trace stops at either: δ_t = r_t + γ·next_t − V_t,
 * A_t = δ_t + γλ(1 − done_t)A_{t+1}.
 *
 * @example One env, two steps, no episode end
 * ```ts
 * import { computeGae } from "@webgpu-rl/core/algos";
 * const advantages = new Float32Array(2), returns = new Float32Array(2);
 * computeGae({
 *   rewards: new Float32Array([1, 1]),
 *   values: new Float32Array([0, 0]),
 *   terminated: [0, 0],
 *   truncated: [0, 0],
 *   lastValues: new Float32Array([0]),
 *   finalValues: new Float32Array([0]),
 *   T: 2, N: 1, gamma: 0.5, lambda: 1,
 *   advantages, returns,
 * }); // advantages [1.5, 1]
 * ```
 */
export function computeGae(p: GaeArgs): void {
  checkGaeParams(p);
  const { T, N } = p;
  checkLength("gae", "rewards", p.rewards.length, T * N);
  checkLength("gae", "values", p.values.length, T * N);
  checkLength("gae", "terminated", p.terminated.length, T * N);
  checkLength("gae", "truncated", p.truncated.length, T * N);
  checkLength("gae", "lastValues", p.lastValues.length, N);
  checkLength("gae", "finalValues", p.finalValues.length, N);
  checkLength("gae", "advantages", p.advantages.length, T * N);
  checkLength("gae", "returns", p.returns.length, T * N);
  const { rewards, values, terminated, truncated, lastValues, finalValues, advantages, returns } =
    p;
  const { gamma, lambda } = p;
  for (let env = 0; env < N; env++) {
    let nextValue = lastValues[env];
    let nextAdvantage = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + env;
      const v = values[i];
      let bootstrap = nextValue;
      if (truncated[i] !== 0) bootstrap = finalValues[env];
      if (terminated[i] !== 0) bootstrap = 0;
      const notDone = terminated[i] !== 0 || truncated[i] !== 0 ? 0 : 1;
      const delta = rewards[i] + gamma * bootstrap - v;
      const a = delta + gamma * lambda * notDone * nextAdvantage;
      advantages[i] = a;
      returns[i] = a + v;
      nextValue = v;
      nextAdvantage = a;
    }
  }
}
