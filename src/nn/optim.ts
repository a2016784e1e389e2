/**
 * Optimizers over the whole flat parameter vector (see `params.ts`): RMSProp in the A3C
 * paper's form and Adam, with global gradient-norm clipping and linear learning-rate
 * annealing. The TypeScript twin of `shaders/optim.wgsl`; one {@link optimizerStep} is the
 * GPU plan's four dispatches in order:
 *
 * 1. `norm_partial` + `norm_final`: norm = √Σ grad² ({@link gradientNorm}), this step's
 *    learning rate ({@link learningRateAt}) and clip factor ({@link clipScale});
 * 2. `rmsprop` or `adam`: the update of every parameter with the clipped gradient;
 * 3. `advance`: step ← step + 1.
 *
 * The twin works on `SharedArrayBuffer`-backed arrays as on ordinary ones (A3C's Hogwild
 * updates: parameters and RMSProp statistics shared by workers, updated without locks):
 * it reads each element once, computes, and writes it back, and keeps nothing between calls
 * but `state.step`.
 *
 * {@link gradientNorm} and {@link optimizerStep} run the WebAssembly SIMD fast path of
 * `optim_wasm.ts` where it applies (float32 arrays, as many as `OPTIM_MIN_SIZE`) and these
 * loops otherwise.
 *
 * @module
 */

import type { NamedTensor, ParamLayout } from "./params.ts";
import type { Floats } from "./types.ts";
import { sqNormFast, updateFast } from "./optim_wasm.ts";

/** Settings of an optimizer; every field is checked by {@link checkOptimizerConfig}. */
export interface OptimizerConfig {
  /**
   * `rmsprop`: the A3C paper's form, g ← αg + (1−α)Δθ², θ ← θ − η·Δθ/√(g + ε).
   * `adam`: bias-corrected Adam, θ ← θ − η·m̂/(√v̂ + ε) as PyTorch.
   */
  readonly kind: "rmsprop" | "adam";
  /** Initial learning rate η: a finite number > 0. */
  readonly lr: number;
  /** RMSProp decay α in [0, 1). Default 0.99 (the paper's). */
  readonly alpha?: number;
  /**
   * ε > 0. RMSProp: inside the square root, default 0.1 (the paper's). Adam: outside the
   * square root, default 1e-8 (PyTorch's).
   */
  readonly eps?: number;
  /**
   * RMSProp: the starting value of the mean square g, a finite number ≥ 0. Default 0 (the
   * paper's and PyTorch's: the first updates are then η/√(1−α) = 10η per parameter);
   * TensorFlow's RMSProp, which the OpenAI baselines' A2C and Stable-Baselines3's
   * `RMSpropTFLike` use, starts at 1.
   */
  readonly rmsInit?: number;
  /** Adam β1 in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** Adam β2 in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** Clip the global gradient norm to this (finite, ≥ 0); 0 or absent turns clipping off. */
  readonly maxGradNorm?: number;
  /**
   * Anneal η linearly to 0 over this many optimizer steps: η_t = η·max(0, 1 − t/totalSteps).
   * An integer in [0, 2³² − 1] (the GPU's step counter is a u32); 0 or absent keeps η constant.
   */
  readonly totalSteps?: number;
}

/** An {@link OptimizerConfig} with every default filled in. */
export type ResolvedOptimizerConfig = Required<OptimizerConfig>;

const FIELDS = [
  "kind",
  "lr",
  "alpha",
  "eps",
  "rmsInit",
  "beta1",
  "beta2",
  "maxGradNorm",
  "totalSteps",
];

/**
 * Throws a RangeError naming the field, its value and what is allowed, for an unknown field
 * or a value out of range.
 */
export function checkOptimizerConfig(c: OptimizerConfig): void {
  const bad = (field: string, value: unknown, allowed: string): never => {
    throw new RangeError(`optimizer.${field}: got ${value}, allowed ${allowed}`);
  };
  if (c === null || typeof c !== "object") bad("config", c, "an object");
  for (const key of Object.keys(c)) {
    if (!FIELDS.includes(key)) bad(key, "an unknown field", `fields: ${FIELDS.join(", ")}`);
  }
  if (c.kind !== "rmsprop" && c.kind !== "adam") {
    bad("kind", JSON.stringify(c.kind), "rmsprop, adam");
  }
  const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  if (!(finite(c.lr) && c.lr > 0)) bad("lr", c.lr, "a finite number > 0");
  const unit = (field: "alpha" | "beta1" | "beta2") => {
    const v = c[field];
    if (v !== undefined && !(finite(v) && v >= 0 && v < 1)) bad(field, v, "[0, 1)");
  };
  unit("alpha");
  unit("beta1");
  unit("beta2");
  if (c.eps !== undefined && !(finite(c.eps) && c.eps > 0)) {
    bad("eps", c.eps, "a finite number > 0");
  }
  if (c.rmsInit !== undefined && !(finite(c.rmsInit) && c.rmsInit >= 0)) {
    bad("rmsInit", c.rmsInit, "a finite number >= 0");
  }
  if (c.maxGradNorm !== undefined && !(finite(c.maxGradNorm) && c.maxGradNorm >= 0)) {
    bad("maxGradNorm", c.maxGradNorm, "a finite number >= 0 (0 = off)");
  }
  if (
    c.totalSteps !== undefined &&
    !(Number.isInteger(c.totalSteps) && c.totalSteps >= 0 && c.totalSteps <= 0xffffffff)
  ) {
    bad("totalSteps", c.totalSteps, "an integer in [0, 4294967295] (0 = constant)");
  }
}

/** Checks `c` and fills in the defaults (RMSProp ε 0.1, Adam ε 1e-8; see the fields). */
export function resolveOptimizerConfig(c: OptimizerConfig): ResolvedOptimizerConfig {
  checkOptimizerConfig(c);
  return {
    kind: c.kind,
    lr: c.lr,
    alpha: c.alpha ?? 0.99,
    eps: c.eps ?? (c.kind === "adam" ? 1e-8 : 0.1),
    rmsInit: c.rmsInit ?? 0,
    beta1: c.beta1 ?? 0.9,
    beta2: c.beta2 ?? 0.999,
    maxGradNorm: c.maxGradNorm ?? 0,
    totalSteps: c.totalSteps ?? 0,
  };
}

/**
 * Optimizer state, in the parameters' layout. RMSProp: `first` is g, the running mean of
 * squared gradients. Adam: `first` is m, `second` is v.
 */
export interface OptimizerState {
  /** RMSProp g or Adam m, [size] (may live in a `SharedArrayBuffer`). */
  readonly first: Float32Array;
  /** Adam v, [size]; empty for RMSProp. */
  readonly second: Float32Array;
  /**
   * Optimizer steps taken so far; drives annealing and Adam's bias correction. A3C workers
   * sharing one schedule may set it from a global counter before each step.
   */
  step: number;
}

/**
 * Fresh state for `size` parameters: zeros, but RMSProp's g starts at `rmsInit`. Pass `shared`
 * arrays (e.g. over a `SharedArrayBuffer`) to share the statistics between A3C workers
 * (Hogwild); they are used as they are (their owner sets their start).
 */
export function makeOptimizerState(
  config: OptimizerConfig,
  size: number,
  shared?: { first: Float32Array; second?: Float32Array },
): OptimizerState {
  checkOptimizerConfig(config);
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`optimizer: size must be a positive integer, got ${size}`);
  }
  const adam = config.kind === "adam";
  const first = shared?.first ??
    new Float32Array(size).fill(config.kind === "rmsprop" ? config.rmsInit ?? 0 : 0);
  const second = adam ? (shared?.second ?? new Float32Array(size)) : new Float32Array(0);
  if (first.length !== size || (adam && second.length !== size)) {
    throw new RangeError(
      `optimizer: shared state has ${first.length}` + (adam ? ` and ${second.length}` : "") +
        ` floats, expected ${size}`,
    );
  }
  return { first, second, step: 0 };
}

/** η at `step` (0-based): lr·max(0, 1 − step/totalSteps), or lr when totalSteps is 0. */
export function learningRateAt(config: OptimizerConfig, step: number): number {
  const total = config.totalSteps ?? 0;
  return total > 0 ? config.lr * Math.max(0, 1 - step / total) : config.lr;
}

/** √Σ grad², accumulated in float64 (on the fast path where it applies, else {@link gradientNormTwin}). */
export function gradientNorm(grads: Floats): number {
  const fast = sqNormFast(grads);
  return fast === null ? gradientNormTwin(grads) : Math.sqrt(fast);
}

/** √Σ grad² (accumulated in float64, in four interleaved partial sums: twice as fast). */
export function gradientNormTwin(grads: Floats): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n4 = grads.length - (grads.length % 4);
  let i = 0;
  for (; i < n4; i += 4) {
    s0 += grads[i] * grads[i];
    s1 += grads[i + 1] * grads[i + 1];
    s2 += grads[i + 2] * grads[i + 2];
    s3 += grads[i + 3] * grads[i + 3];
  }
  for (; i < grads.length; i++) s0 += grads[i] * grads[i];
  return Math.sqrt(s0 + s1 + s2 + s3);
}

/**
 * The factor applied to every gradient: min(1, maxNorm/(norm + 1e-6)), or 1 when clipping is
 * off (maxNorm 0). A non-finite norm gives 0 or NaN: such a step is not skipped, the caller
 * checks the returned `gradNorm`.
 */
export function clipScale(norm: number, maxGradNorm = 0): number {
  return maxGradNorm > 0 ? Math.min(1, maxGradNorm / (norm + 1e-6)) : 1;
}

/**
 * 1 − β^t, Adam's bias correction, computed as −expm1(t·ln β) (as the WGSL does, which
 * avoids the cancellation of 1 − pow(β, t) for β near 1).
 */
export function oneMinusPow(beta: number, t: number): number {
  return -Math.expm1(t * Math.log(beta));
}

/** What one optimizer step used; the GPU writes the same into its `stats` buffer. */
export interface OptimizerStepStats {
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Learning rate of this step. */
  readonly lr: number;
  /** The clip factor applied to the gradient (1 when not clipped). */
  readonly clipScale: number;
  /** The step index this update used (0 for the first). */
  readonly step: number;
}

/**
 * One optimizer step over the flat vectors (the WGSL plan in one call): clips the global gradient
 * norm, anneals η, updates `params` [size] in place from `grads` [size], updates `state` and
 * advances `state.step`. Returns the norm before clipping, η, the clip factor and the step.
 * `gradNorm`: {@link gradientNorm}(grads), when the caller has it already (A3C checks it
 * before touching the shared θ), so that it is computed once.
 */
export function optimizerStep(
  config: OptimizerConfig,
  state: OptimizerState,
  params: Floats,
  grads: Floats,
  gradNorm: number = gradientNorm(grads),
): OptimizerStepStats {
  const c = resolveOptimizerConfig(config);
  const n = params.length;
  if (
    grads.length !== n || state.first.length !== n ||
    (c.kind === "adam" && state.second.length !== n)
  ) {
    throw new RangeError(
      `optimizer: params ${n}, grads ${grads.length} and state ${state.first.length}` +
        (c.kind === "adam" ? `/${state.second.length}` : "") + " floats must match",
    );
  }
  // norm_partial + norm_final: gradNorm
  const step = state.step;
  const lr = learningRateAt(c, step);
  const scale = clipScale(gradNorm, c.maxGradNorm);
  // adam's c1, c2: stats[4], stats[5] of the WGSL
  const c1 = c.kind === "adam" ? oneMinusPow(c.beta1, step + 1) : 1;
  const c2 = c.kind === "adam" ? oneMinusPow(c.beta2, step + 1) : 1;
  if (updateFast(c, params, grads, state.first, state.second, lr, scale, c1, c2)) {
    // done on the fast path
  } else if (c.kind === "rmsprop") {
    // rmsprop
    const g = state.first;
    const { alpha, eps } = c; // locals: the loop reads no property (about 20 % faster)
    for (let i = 0; i < n; i++) {
      const d = grads[i] * scale;
      const gi = alpha * g[i] + (1 - alpha) * d * d;
      g[i] = gi;
      params[i] -= lr * d / Math.sqrt(gi + eps);
    }
  } else {
    // adam
    const first = state.first;
    const second = state.second;
    for (let i = 0; i < n; i++) {
      const d = grads[i] * scale;
      const m = c.beta1 * first[i] + (1 - c.beta1) * d;
      const v = c.beta2 * second[i] + (1 - c.beta2) * d * d;
      first[i] = m;
      second[i] = v;
      params[i] -= lr * (m / c1) / (Math.sqrt(v / c2) + c.eps);
    }
  }
  // advance
  state.step = step + 1;
  return { gradNorm, lr, clipScale: scale, step };
}

// ---------------------------------------------------------------------------------------------
// Checkpoints: the optimizer state as extra safetensors tensors, named as PyTorch's state dict.

/** Names of the state slots per kind, as in PyTorch's optimizer state dicts. */
const SLOTS = { rmsprop: ["square_avg"], adam: ["exp_avg", "exp_avg_sq"] } as const;

/** Metadata key holding the optimizer kind in a checkpoint. */
export const OPTIM_KIND_KEY = "optim.kind";
/** Metadata key holding the step counter (decimal) in a checkpoint. */
export const OPTIM_STEP_KEY = "optim.step";

/**
 * Names and shapes of the optimizer-state tensors of a checkpoint: `optim.<slot>.<tensor>`
 * per layout tensor, slots `square_avg` (RMSProp g) or `exp_avg`, `exp_avg_sq` (Adam m, v).
 * Pass as `requireExtra` to `loadCheckpoint` to check them with the parameters.
 */
export function optimizerStateSpecs(
  config: OptimizerConfig,
  layout: ParamLayout,
): { name: string; shape: readonly number[] }[] {
  checkOptimizerConfig(config);
  return SLOTS[config.kind].flatMap((slot) =>
    layout.tensors.map((t) => ({ name: `optim.${slot}.${t.name}`, shape: t.shape }))
  );
}

/**
 * The optimizer state as checkpoint tensors (copies; see {@link optimizerStateSpecs}) and
 * metadata (`optim.kind`, `optim.step`), for `saveCheckpoint(path, layout, params,
 * { ...metadata, ...saved.metadata }, saved.tensors)`.
 */
export function optimizerStateTensors(
  config: OptimizerConfig,
  state: OptimizerState,
  layout: ParamLayout,
): { tensors: NamedTensor[]; metadata: Record<string, string> } {
  checkOptimizerConfig(config);
  const arrays = config.kind === "adam" ? [state.first, state.second] : [state.first];
  arrays.forEach((a) => {
    if (a.length !== layout.size) {
      throw new RangeError(
        `optimizer: state has ${a.length} floats, the layout needs ${layout.size}`,
      );
    }
  });
  const tensors = SLOTS[config.kind].flatMap((slot, k) =>
    layout.tensors.map((t) => ({
      name: `optim.${slot}.${t.name}`,
      shape: t.shape,
      data: arrays[k].slice(t.offset, t.offset + t.length),
    }))
  );
  return {
    tensors,
    metadata: { [OPTIM_KIND_KEY]: config.kind, [OPTIM_STEP_KEY]: String(state.step) },
  };
}

/**
 * Rebuilds the optimizer state saved by {@link optimizerStateTensors} from a loaded
 * checkpoint's `extra` tensors and `metadata`, into fresh arrays (or into `into`, written only
 * after every check). Throws naming what is wrong: a different optimizer kind, a missing or
 * invalid step, a missing tensor or a shape mismatch.
 */
export function restoreOptimizerState(
  config: OptimizerConfig,
  layout: ParamLayout,
  checkpoint: { readonly extra: readonly NamedTensor[]; readonly metadata: Record<string, string> },
  into?: OptimizerState,
): OptimizerState {
  checkOptimizerConfig(config);
  const fail = (msg: string): never => {
    throw new Error(`optimizer state: ${msg}`);
  };
  const kind = checkpoint.metadata[OPTIM_KIND_KEY];
  if (kind !== config.kind) {
    fail(
      `the checkpoint holds ${kind === undefined ? "no optimizer state" : `"${kind}"`}, ` +
        `the config asks for "${config.kind}"`,
    );
  }
  const stepText = checkpoint.metadata[OPTIM_STEP_KEY];
  const step = Number(stepText);
  if (stepText === undefined || !/^\d+$/.test(stepText) || !Number.isSafeInteger(step)) {
    fail(`metadata "${OPTIM_STEP_KEY}" is ${JSON.stringify(stepText)}, expected an integer >= 0`);
  }
  const byName = new Map(checkpoint.extra.map((t) => [t.name, t]));
  for (const spec of optimizerStateSpecs(config, layout)) {
    const t = byName.get(spec.name);
    if (!t) fail(`missing tensor "${spec.name}"`);
    else if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      fail(
        `tensor "${spec.name}" has shape [${t.shape.join(", ")}], expected [${
          spec.shape.join(", ")
        }]`,
      );
    }
  }
  const state = into ?? makeOptimizerState(config, layout.size);
  const adam = config.kind === "adam";
  if (state.first.length !== layout.size || (adam && state.second.length !== layout.size)) {
    fail(`the destination state does not have ${layout.size} floats per slot`);
  }
  const arrays = adam ? [state.first, state.second] : [state.first];
  SLOTS[config.kind].forEach((slot, k) => {
    for (const t of layout.tensors) {
      arrays[k].set(byName.get(`optim.${slot}.${t.name}`)!.data, t.offset);
    }
  });
  state.step = step;
  return state;
}
