/**
 * The page's view of the agent: a few copies of the env's CPU form played by the greedy policy
 * of the latest parameters, drawn as RGB frames. Independent of training (its own env copies,
 * its own seed), so it shows what the current policy does, not the training rollouts.
 *
 * @module
 */

import { makeCpuEnv } from "../envs/registry.ts";
import type { Frame } from "../envs/types.ts";
import type { NetSpec } from "../nn/model_spec.ts";
import type { ParamLayout } from "../nn/params.ts";
import { makeCpuPolicy } from "../cli/policy.ts";

/** Options of {@link makeGreedyView}. */
export interface GreedyViewOptions {
  /** Env registry name. */
  readonly env: string;
  /** Env options. */
  readonly envOptions?: Record<string, number | boolean>;
  /** The trained network. */
  readonly net: NetSpec;
  /** Its parameter layout. */
  readonly layout: ParamLayout;
  /** Copies shown side by side; default 4. */
  readonly copies?: number;
  /** Seed of the copies' episodes; default 12345. */
  readonly seed?: number;
}

/** Copies of an env acting greedily with parameters set from outside. */
export interface GreedyView {
  /** Number of copies. */
  readonly copies: number;
  /** Replaces the parameters the policy acts with (a copy is kept). */
  setParams(params: Float32Array): void;
  /** One step of every copy (episodes restart by themselves). */
  step(): void;
  /** The picture of copy `index`. */
  frame(index: number): Frame;
  /** Returns of the episodes the view finished so far, oldest first (the last 4096 at most). */
  returns(): Float32Array;
}

/** Makes a {@link GreedyView}: parameters start at zero until `setParams`. */
export function makeGreedyView(options: GreedyViewOptions): GreedyView {
  const copies = options.copies ?? 4;
  const env = makeCpuEnv(options.env, copies, options.envOptions as never);
  const seed = options.seed ?? 12345;
  env.reset(seed);
  const params = new Float32Array(options.layout.size);
  const policy = makeCpuPolicy(options.net, options.layout, params);
  const actions = policy.makeActions(env.spec, copies);
  const starts = new Uint8Array(copies).fill(1);
  let counter = 0;
  return {
    copies,
    setParams: (p) => params.set(p),
    step() {
      policy.act(env.spec, env.obs, copies, actions, { greedy: true, seed, counter, starts });
      counter++;
      env.step(actions);
      for (let i = 0; i < copies; i++) starts[i] = env.terminated[i] | env.truncated[i];
    },
    frame: (index) => env.render(index),
    returns: () => env.episodeStats().returns,
  };
}
