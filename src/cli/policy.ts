/**
 * Trained (or random) policies on the CPU, for the `eval` and `play` commands: a policy maps
 * a batch of observations to actions, sampled from the policy or greedy. Also the episode
 * runner of `eval`: K copies of the env's CPU form, one episode each.
 *
 * @module
 */

import type { CpuVecEnv, EnvSpec } from "../envs/types.ts";
import { gaussianSample } from "../nn/gaussian.ts";
import { type NetSpec, policyOutputs } from "../nn/model_spec.ts";
import {
  type CpuActivations,
  lstmLayer,
  makeCpuActivations,
  netForward,
  type Recurrence,
  viewTensors,
} from "../nn/net_cpu.ts";
import type { ParamLayout } from "../nn/params.ts";
import { greedyActions, sampleCategorical } from "../nn/sample.ts";
import { randU32 } from "../util/rng.ts";

/** Action buffer of a batch: indices (discrete) or `batch × size` floats (box). */
export type Actions = Int32Array | Float32Array;

/** A policy that acts on the CPU. */
export interface CpuPolicy {
  /** True when the policy always acts greedily (Q-values: `greedy: false` acts greedily too). */
  readonly greedyOnly?: boolean;
  /** A zeroed action buffer for `batch` copies of `env`. */
  makeActions(env: EnvSpec, batch: number): Actions;
  /**
   * Fills `actions` for the `batch` observations `obs` ([batch, ...obs shape]). `greedy`
   * takes the most likely action (the mean of a Gaussian); otherwise actions are sampled
   * with the counter-based RNG at (`seed`, copy, `counter`).
   */
  act(
    env: EnvSpec,
    obs: Float32Array | Uint8Array,
    batch: number,
    actions: Actions,
    options: {
      greedy: boolean;
      seed: number;
      counter: number;
      /** Per copy, nonzero where an episode starts (resets a recurrent policy's state). */
      starts?: ArrayLike<number>;
    },
  ): void;
}

function zeroActions(env: EnvSpec, batch: number): Actions {
  return env.action.kind === "discrete"
    ? new Int32Array(batch)
    : new Float32Array(batch * env.action.size);
}

/**
 * The policy of network `net` with flat parameters `params` laid out by `layout`. A recurrent
 * net keeps an LSTM state per copy, zero at first and reset where `starts` says.
 */
export function makeCpuPolicy(net: NetSpec, layout: ParamLayout, params: Float32Array): CpuPolicy {
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const views = viewTensors(params, offsets, net);
  const H = lstmLayer(net)?.hidden ?? 0;
  let acts: CpuActivations | undefined;
  let rec: Recurrence | undefined;
  return {
    makeActions: zeroActions,
    act(env, obs, batch, actions, { greedy, seed, counter, starts }) {
      if (acts?.batch !== batch) {
        acts = makeCpuActivations(net, batch);
        const [h, c] = [new Float32Array(batch * H), new Float32Array(batch * H)];
        rec = H ? { T: 1, starts: new Uint8Array(batch), h0: h, c0: c, hT: h, cT: c } : undefined;
      }
      const r = rec && starts ? { ...rec, starts } : rec;
      netForward(net, views, obs, acts, r);
      const A = policyOutputs(net.head);
      if (net.head.kind === "categorical") {
        const out = actions as Int32Array;
        if (greedy) greedyActions({ logits: acts.policy, actions: out, B: batch, A });
        else sampleCategorical({ logits: acts.policy, actions: out, B: batch, A, seed, counter });
        return;
      }
      const out = actions as Float32Array;
      if (greedy) out.set(acts.policy);
      else {
        gaussianSample({
          mean: acts.policy,
          logStd: views["policy.logStd"],
          actions: out,
          B: batch,
          D: A,
          seed,
          counter,
        });
      }
      if (env.action.kind === "box") {
        const { low, high } = env.action;
        for (let i = 0; i < out.length; i++) out[i] = Math.min(high, Math.max(low, out[i]));
      }
    },
  };
}

/** A policy that picks uniformly random actions (discrete) or uniform boxes. */
export function randomPolicy(): CpuPolicy {
  return {
    makeActions: zeroActions,
    act(env, _obs, batch, actions, { seed, counter }) {
      const a = env.action;
      if (a.kind === "discrete") {
        for (let b = 0; b < batch; b++) actions[b] = randU32(seed, b, counter) % a.n;
      } else {
        for (let i = 0; i < batch * a.size; i++) {
          actions[i] = a.low + (randU32(seed, i, counter) / 2 ** 32) * (a.high - a.low);
        }
      }
    },
  };
}

/** Returns and lengths of evaluated episodes. */
export interface EpisodeResults {
  /** Return of each episode, in copy order. */
  readonly returns: number[];
  /** Length of each episode in agent steps. */
  readonly lengths: number[];
  /** Episodes cut off by `maxSteps` before they ended (their partial returns are included). */
  readonly unfinished: number;
}

/**
 * Runs `env` (K fresh copies, reset from `seed`) under `policy` until every copy has
 * finished one episode, or `maxSteps` steps; returns each copy's first episode.
 */
export function runEpisodes(
  env: CpuVecEnv,
  policy: CpuPolicy,
  options: { greedy: boolean; seed: number; maxSteps: number },
): EpisodeResults {
  const K = env.numEnvs;
  env.reset(options.seed);
  const returns = new Float64Array(K);
  const lengths = new Uint32Array(K);
  const done = new Uint8Array(K);
  let left = K;
  const actions = policy.makeActions(env.spec, K);
  const starts = new Uint8Array(K); // episode starts: a recurrent policy resets its state there
  for (let t = 0; t < options.maxSteps && left > 0; t++) {
    policy.act(env.spec, env.obs, K, actions, {
      greedy: options.greedy,
      seed: options.seed,
      counter: t,
      starts,
    });
    env.step(actions);
    for (let k = 0; k < K; k++) {
      starts[k] = env.terminated[k] || env.truncated[k] ? 1 : 0;
      if (done[k]) continue;
      returns[k] += env.reward[k];
      lengths[k]++;
      if (env.terminated[k] || env.truncated[k]) {
        done[k] = 1;
        left--;
      }
    }
  }
  return { returns: Array.from(returns), lengths: Array.from(lengths), unfinished: left };
}

/** Mean, standard deviation (population), min and max of `xs` (NaN when empty). */
export function summarize(xs: readonly number[]): {
  mean: number;
  std: number;
  min: number;
  max: number;
} {
  if (xs.length === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}
