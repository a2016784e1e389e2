/**
 * Optimizers over the whole flat parameter vector: RMSProp in the A3C paper's form and Adam,
 * with global gradient-norm clipping and linear learning-rate annealing. The TypeScript twin
 * of `shaders/optim.wgsl`. Works on SharedArrayBuffer-backed arrays (A3C's Hogwild updates).
 *
 * @module
 */

/** Settings of an optimizer. */
export interface OptimizerConfig {
  /** RMSProp (paper form: g = αg + (1−α)Δθ²; θ ← θ − ηΔθ/√(g + ε)) or Adam. */
  readonly kind: "rmsprop" | "adam";
  /** Initial learning rate η > 0. */
  readonly lr: number;
  /** RMSProp decay α in [0, 1). Default 0.99. */
  readonly alpha?: number;
  /** RMSProp: ε inside the square root (paper: 0.1). Adam: ε outside (PyTorch). */
  readonly eps?: number;
  /** Adam β1. Default 0.9. */
  readonly beta1?: number;
  /** Adam β2. Default 0.999. */
  readonly beta2?: number;
  /** Clip the global gradient norm to this; 0 or absent turns clipping off. */
  readonly maxGradNorm?: number;
  /** Anneal η linearly to 0 over this many steps; 0 or absent keeps it constant. */
  readonly totalSteps?: number;
}

/** Optimizer state: the moving statistics (shared layout with the parameters) and the step. */
export interface OptimizerState {
  /** RMSProp: g. Adam: first moment m. */
  readonly first: Float32Array;
  /** Adam: second moment v (empty for RMSProp). */
  readonly second: Float32Array;
  /** Steps taken so far. */
  step: number;
}

/** Throws a RangeError naming the field, the value and what is allowed. */
export function checkOptimizerConfig(c: OptimizerConfig): void {
  const bad = (field: string, value: unknown, allowed: string) => {
    throw new RangeError(`optimizer.${field}: got ${value}, allowed ${allowed}`);
  };
  if (c.kind !== "rmsprop" && c.kind !== "adam") {
    bad("kind", JSON.stringify(c.kind), "rmsprop, adam");
  }
  if (!(c.lr > 0 && Number.isFinite(c.lr))) bad("lr", c.lr, "a finite number > 0");
  if (c.alpha !== undefined && !(c.alpha >= 0 && c.alpha < 1)) bad("alpha", c.alpha, "[0, 1)");
  if (c.eps !== undefined && !(c.eps > 0)) bad("eps", c.eps, "> 0");
  if (c.beta1 !== undefined && !(c.beta1 >= 0 && c.beta1 < 1)) bad("beta1", c.beta1, "[0, 1)");
  if (c.beta2 !== undefined && !(c.beta2 >= 0 && c.beta2 < 1)) bad("beta2", c.beta2, "[0, 1)");
  if (c.maxGradNorm !== undefined && !(c.maxGradNorm >= 0)) {
    bad("maxGradNorm", c.maxGradNorm, ">= 0 (0 = off)");
  }
  if (c.totalSteps !== undefined && !(Number.isInteger(c.totalSteps) && c.totalSteps >= 0)) {
    bad("totalSteps", c.totalSteps, "an integer >= 0 (0 = constant)");
  }
}

/** Fresh state for `size` parameters (optionally over shared memory for Hogwild). */
export function makeOptimizerState(
  config: OptimizerConfig,
  size: number,
  shared?: { first: Float32Array; second?: Float32Array },
): OptimizerState {
  checkOptimizerConfig(config);
  return {
    first: shared?.first ?? new Float32Array(size),
    second: config.kind === "adam"
      ? (shared?.second ?? new Float32Array(size))
      : new Float32Array(0),
    step: 0,
  };
}

/** η at `step` (0-based): lr·max(0, 1 − step/totalSteps), or lr when not annealing. */
export function learningRateAt(config: OptimizerConfig, step: number): number {
  const total = config.totalSteps ?? 0;
  return total > 0 ? config.lr * Math.max(0, 1 - step / total) : config.lr;
}

/** √Σ grad², accumulated in float64. */
export function gradientNorm(grads: Float32Array): number {
  let s = 0;
  for (let i = 0; i < grads.length; i++) s += grads[i] * grads[i];
  return Math.sqrt(s);
}

/** The factor applied to the gradient: min(1, maxNorm/(norm + 1e-6)), 1 when clipping is off. */
export function clipScale(norm: number, maxGradNorm = 0): number {
  return maxGradNorm > 0 ? Math.min(1, maxGradNorm / (norm + 1e-6)) : 1;
}

/**
 * One optimizer step: clips the global gradient norm, anneals η, updates `params` in place
 * and advances the step. Returns the norm before clipping and the η used.
 */
export function optimizerStep(
  config: OptimizerConfig,
  state: OptimizerState,
  params: Float32Array,
  grads: Float32Array,
): { gradNorm: number; lr: number } {
  if (params.length !== grads.length || state.first.length !== params.length) {
    throw new RangeError(
      `optimizer: params ${params.length}, grads ${grads.length} and state ` +
        `${state.first.length} floats must match`,
    );
  }
  const gradNorm = gradientNorm(grads);
  const scale = clipScale(gradNorm, config.maxGradNorm);
  const lr = learningRateAt(config, state.step);
  const n = params.length;
  if (config.kind === "rmsprop") {
    const alpha = config.alpha ?? 0.99;
    const eps = config.eps ?? 0.1;
    const g = state.first;
    for (let i = 0; i < n; i++) {
      const d = grads[i] * scale;
      const gi = alpha * g[i] + (1 - alpha) * d * d;
      g[i] = gi;
      params[i] -= lr * d / Math.sqrt(gi + eps);
    }
  } else {
    const b1 = config.beta1 ?? 0.9;
    const b2 = config.beta2 ?? 0.999;
    const eps = config.eps ?? 1e-8;
    const t = state.step + 1;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    const m = state.first;
    const v = state.second;
    for (let i = 0; i < n; i++) {
      const d = grads[i] * scale;
      m[i] = b1 * m[i] + (1 - b1) * d;
      v[i] = b2 * v[i] + (1 - b2) * d * d;
      params[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
  state.step++;
  return { gradNorm, lr };
}
