/**
 * The network behind a small interface, so the actor-learner loop does not care which
 * backend runs it: the CPU twins of `net_cpu.ts` (an MLP, the A3C paper's conv net, or the
 * conv + LSTM net). A recurrent net takes a `Recurrence` (the state before the first step
 * and the episode-start flags); the learner carries each worker's LSTM state across steps
 * and rollouts (A3C only: the Q family refuses `net: "lstm"`).
 *
 * The Q family reuses the categorical actor-critic network: the POLICY head's outputs are
 * the Q-values Q(s, ·) and the value head is unused (its gradient is 0).
 *
 * @module
 */

import type { EnvSpec } from "../../envs/types.ts";
import { type NetSpec, paramSpecs, policyOutputs } from "../../nn/model_spec.ts";
import {
  type CpuActivations,
  lstmLayer,
  makeCpuActivations,
  netBackward,
  netForward,
  type Recurrence,
  type TensorViews,
  viewTensors,
} from "../../nn/net_cpu.ts";
import { makeLayout, type ParamLayout } from "../../nn/params.ts";
import { netForEnv } from "../a2c/common.ts";
import type { AsyncCommonConfig } from "./config.ts";

/** Outputs of a forward pass; views valid until the next forward of the same batch size. */
export interface NetOutputs {
  /** Policy logits (A3C) or Q-values (Q family), [B, A]. */
  readonly policy: Float32Array;
  /** State values V(s) (A3C; unused by the Q family), [B]. */
  readonly value: Float32Array;
}

/** A network an actor-learner can evaluate and differentiate on flat parameter vectors. */
export interface LearnerNet {
  /** The network description. */
  readonly spec: NetSpec;
  /** Where each parameter tensor lives in the flat vectors. */
  readonly layout: ParamLayout;
  /** Policy outputs per observation (the number of actions A). */
  readonly actions: number;
  /** Hidden size H of the LSTM of a recurrent net; 0 for a feed-forward net. */
  readonly hidden: number;
  /**
   * Forward pass of `batch` observations `obs` ([batch, ...input]) with parameters `params`
   * [layout.size] (local or shared memory). A recurrent net reads them as `batch` time steps
   * of one sequence and needs `rec` (T = batch, state [1, H]).
   */
  forward(
    params: Float32Array,
    obs: Float32Array | Uint8Array,
    batch: number,
    rec?: Recurrence,
  ): NetOutputs;
  /**
   * Backward pass after {@link LearnerNet.forward} with the same `params`, `obs`, `batch` and
   * `rec`: writes the gradient of every parameter into `grads` [layout.size] (overwriting it)
   * from `dPolicy` [batch, A] and `dValue` [batch].
   */
  backward(
    params: Float32Array,
    grads: Float32Array,
    obs: Float32Array | Uint8Array,
    batch: number,
    dPolicy: Float32Array,
    dValue: Float32Array,
    rec?: Recurrence,
  ): void;
  /**
   * Feed-forward nets may keep their acting passes, so an update need not run its forward
   * again: `keep(row)` stores the activations of the last forward of batch 1 as row `row` of
   * the rollout; `kept(n)` gives rows [0, n)'s outputs; `backwardKept` is {@link backward}
   * over those rows, as after a forward of them with the same parameters.
   */
  readonly keep?: (row: number) => void;
  /** The outputs of rows [0, n) stored by {@link keep}. */
  readonly kept?: (n: number) => NetOutputs;
  /** {@link backward} over rows [0, n) stored by {@link keep} (observations `obs`). */
  readonly backwardKept?: (
    params: Float32Array,
    grads: Float32Array,
    obs: Float32Array | Uint8Array,
    n: number,
    dPolicy: Float32Array,
    dValue: Float32Array,
  ) => void;
}

/**
 * The network of an asynchronous run for `env`: an MLP for vector observations, the A3C FF
 * conv net for pixels, or the conv + LSTM net (see `netForEnv` of A2C). Refuses continuous
 * actions, and `net: "lstm"` for the Q family, with a message saying why.
 */
export function asyncNetForEnv(
  env: EnvSpec,
  config: Pick<AsyncCommonConfig, "net" | "hidden"> & { readonly algo?: string },
): NetSpec {
  if (env.action.kind !== "discrete") {
    throw new RangeError(
      `async: env ${env.name} has continuous actions; the asynchronous methods here need ` +
        "discrete actions (a categorical policy or Q-values)",
    );
  }
  if (config.net === "lstm" && config.algo !== undefined && config.algo !== "a3c") {
    throw new RangeError(
      `net: "lstm" is supported by A3C only, not by ${config.algo} (its targets would need ` +
        'the target network\'s own recurrent state); use net "ff" (pixels) or "mlp" (vectors)',
    );
  }
  return netForEnv(env, config);
}

/**
 * The CPU-twin implementation of {@link LearnerNet} for `spec` (feed-forward or with one
 * LSTM layer, run as one sequence: T = batch).
 */
export function makeCpuLearnerNet(spec: NetSpec): LearnerNet {
  const hidden = lstmLayer(spec)?.hidden ?? 0;
  const layout = makeLayout(paramSpecs(spec));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const views = new WeakMap<Float32Array, TensorViews>();
  const viewsOf = (flat: Float32Array): TensorViews => {
    let v = views.get(flat);
    if (!v) {
      if (flat.length !== layout.size) {
        throw new RangeError(
          `async net: a flat vector has ${flat.length} floats, the layout needs ${layout.size}`,
        );
      }
      v = viewTensors(flat, offsets, spec);
      views.set(flat, v);
    }
    return v;
  };
  const acts = new Map<number, CpuActivations>();
  const actsOf = (batch: number): CpuActivations => {
    let a = acts.get(batch);
    if (!a) {
      a = makeCpuActivations(spec, batch, hidden ? batch : 1);
      acts.set(batch, a);
    }
    return a;
  };
  const base: LearnerNet = {
    spec,
    layout,
    actions: policyOutputs(spec.head),
    hidden,
    forward(params, obs, batch, rec) {
      const a = actsOf(batch);
      netForward(spec, viewsOf(params), obs, a, rec);
      return { policy: a.policy, value: a.value };
    },
    backward(params, grads, obs, batch, dPolicy, dValue, rec) {
      netBackward(spec, viewsOf(params), viewsOf(grads), obs, actsOf(batch), dPolicy, dValue, rec);
    },
  };
  if (hidden) return base; // a recurrent net replays its rollout from the carried state
  // The rollout's rows, grown (rarely: to the longest rollout) by doubling, and the views of
  // their first n rows as a batch-n activation set, made once per n.
  let rows = makeCpuActivations(spec, 1);
  const prefixes = new Map<number, CpuActivations>();
  const prefix = (n: number): CpuActivations => {
    let p = prefixes.get(n);
    if (!p) {
      const cut = (a: Float32Array) => a.subarray(0, (a.length / rows.batch) * n);
      p = {
        batch: n,
        T: 1,
        outputs: rows.outputs.map(cut),
        gradOutputs: rows.gradOutputs.map(cut),
        policy: cut(rows.policy),
        value: cut(rows.value),
      };
      prefixes.set(n, p);
    }
    return p;
  };
  return {
    ...base,
    keep(row) {
      if (row >= rows.batch) {
        const grown = makeCpuActivations(spec, Math.max(row + 1, 2 * rows.batch));
        rows.outputs.forEach((o, l) => grown.outputs[l].set(o));
        grown.policy.set(rows.policy);
        grown.value.set(rows.value);
        rows = grown;
        prefixes.clear();
      }
      const one = actsOf(1);
      one.outputs.forEach((o, l) => rows.outputs[l].set(o, row * o.length));
      rows.policy.set(one.policy, row * one.policy.length);
      rows.value[row] = one.value[0];
    },
    kept(n) {
      const p = prefix(n);
      return { policy: p.policy, value: p.value };
    },
    backwardKept(params, grads, obs, n, dPolicy, dValue) {
      netBackward(spec, viewsOf(params), viewsOf(grads), obs, prefix(n), dPolicy, dValue);
    },
  };
}
