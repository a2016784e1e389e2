/**
 * LSTM layer, forward and backward: the TypeScript twin of `shaders/lstm.wgsl` (GPU recorders
 * in `lstm_gpu.ts`).
 *
 * Conventions (PyTorch's gate order i, f, g, o; its two biases folded into one):
 * ```
 * weights  wIh [4H, I], wHh [4H, H], b [4H]
 * gates  = x·wIhᵀ + hm·wHhᵀ + b                      [B, 4H], columns i | f | g | o
 * i = σ(gates_i), f = σ(gates_f), g = tanh(gates_g), o = σ(gates_o)
 * c' = f⊙cm + i⊙g,  h' = o⊙tanh(c')
 * ```
 * where `hm`, `cm` are the incoming state multiplied by the reset mask: for a sequence b whose
 * episode starts at step t (`starts[t, b] ≠ 0`), hm = cm = 0, so nothing of the previous
 * episode enters step t and no gradient flows back across that boundary.
 *
 * Sequences are time-major: x [T, B, I], starts [T, B], outputs hs [T, B, H]; the initial
 * state h0, c0 [B, H] and the final state hT, cT [B, H], which the next rollout continues
 * from (truncated backpropagation through time: the gradient w.r.t. h0, c0 can be returned,
 * and a caller doing truncated BPTT discards it).
 *
 * The forward pass saves what the backward pass needs in an {@link LstmCache} (activated
 * gates, c_t and the masked incoming states hm_t, cm_t for every step), one flat array laid
 * out by {@link lstmCacheLayout} exactly as the GPU cache buffer.
 *
 * Plan of the sequence forward (the GPU recorder issues the same steps as dispatches):
 * 1. `gates[t] = x_t·wIhᵀ + b` for all T·B rows at once (one linear layer call);
 * 2. `forward_start`: hmStep = hm_0 = (1 − starts_0)·h0, cm_0 = (1 − starts_0)·c0;
 * 3. for t = 0..T−1: `gStep = hmStep·wHhᵀ` (matmul), then the fused pointwise `forward_step`:
 *    gates[t] += gStep, activate, c_t, h_t → hs[t], and the masked state for step t + 1
 *    (hm_{t+1}, cm_{t+1}, hmStep) or, at t = T−1, the final state hT, cT.
 *
 * Plan of the sequence backward:
 * 1. `backward_start`: the carries dhCarry = dhT (or 0), dcCarry = dcT (or 0);
 * 2. for t = T−1..0: the fused pointwise `backward_step` (d-gates of step t from
 *    dh_t = dhs[t] + mask·dhCarry and dc_t = mask·dcCarry + dh_t·o·(1 − tanh²c_t), written to
 *    dG[t] and dgStep, and dcCarry = dc_t⊙f = d/dcm_t), then `dhCarry = dgStep·wHh`
 *    (= d/dhm_t, matmul); mask = 1 − starts_{t+1} (1 at t = T−1);
 * 3. dx = dG·wIh (overwritten), then dwIh += dGᵀ·x, db += Σ dG (linear backward over all
 *    T·B rows at once) and dwHh += dGᵀ·hm (one matmul over T·B rows);
 * 4. `backward_finish` (only when dh0 or dc0 is asked for): dh0 = (1 − starts_0)·dhCarry,
 *    dc0 = (1 − starts_0)·dcCarry.
 *
 * @module
 */

import { checkPositiveInt, checkShape, type Floats } from "./types.ts";
import { linearBackward, linearForward, matmul, type MatmulFn } from "./linear.ts";

/** LSTM weights. Shapes: wIh [4H, I], wHh [4H, H], b [4H]; gate rows in order i, f, g, o. */
export interface LstmParams {
  /** Input-to-hidden weights, [4H, I]. */
  readonly wIh: Floats;
  /** Hidden-to-hidden weights, [4H, H]. */
  readonly wHh: Floats;
  /** Bias (PyTorch's b_ih + b_hh), [4H]. */
  readonly b: Floats;
}

/** Gradients of the LSTM weights, same shapes as {@link LstmParams}; backward adds to them. */
export interface LstmGrads {
  /** d loss / d wIh, [4H, I]. */
  readonly dwIh: Floats;
  /** d loss / d wHh, [4H, H]. */
  readonly dwHh: Floats;
  /** d loss / d b, [4H]. */
  readonly db: Floats;
}

/**
 * Per-step reset flags, [T, B] (or [B] for a cell): nonzero where an episode starts at that
 * step for that sequence. Any numeric array (Uint32Array as on the GPU, Float32Array, ...).
 */
export type ResetMask = ArrayLike<number>;

/**
 * Element offsets of the regions of an LSTM cache (one flat array / one GPU buffer). Each
 * region starts at a multiple of `alignFloats` so the GPU can bind it on its own.
 */
export interface LstmCacheLayout {
  /** Activated gates i, f, g, o of every step, [T, B, 4H]. */
  readonly gates: number;
  /** Cell state c_t after every step, [T, B, H]. */
  readonly c: number;
  /** Masked incoming hidden state hm_t = (1 − starts_t)·h_{t−1}, [T, B, H]. */
  readonly hm: number;
  /** Masked incoming cell state cm_t = (1 − starts_t)·c_{t−1}, [T, B, H]. */
  readonly cm: number;
  /** Total length in elements. */
  readonly total: number;
}

/** The sizes of an LSTM run: steps T, sequences B, hidden size H (`lstm.wgsl`'s `p.T`, ...). */
export interface LstmDims {
  /** Steps T (1 for a cell). */
  readonly T: number;
  /** Sequences (batch) B. */
  readonly B: number;
  /** Hidden size H. */
  readonly H: number;
}

/**
 * The layout of the cache of a T-step sequence of B sequences with hidden size H. Regions
 * start at multiples of `alignFloats` (default 64 floats = 256 bytes, WebGPU's usual
 * `minStorageBufferOffsetAlignment`; the GPU recorders pass the device's value).
 *
 * @example
 * ```ts
 * import { lstmCacheLayout } from "@webgpu-rl/core/nn";
 * const { c, total } = lstmCacheLayout({ T: 5, B: 2, H: 8 }); // c = 320: gates take 5·2·32
 * ```
 */
export function lstmCacheLayout(
  { T, B, H, alignFloats = 64 }: LstmDims & { readonly alignFloats?: number },
): LstmCacheLayout {
  checkPositiveInt("lstm.cache", "T", T);
  checkPositiveInt("lstm.cache", "B", B);
  checkPositiveInt("lstm.cache", "H", H);
  checkPositiveInt("lstm.cache", "alignFloats", alignFloats);
  const up = (n: number) => Math.ceil(n / alignFloats) * alignFloats;
  const gates = 0;
  const c = up(gates + T * B * 4 * H);
  const hm = up(c + T * B * H);
  const cm = up(hm + T * B * H);
  return { gates, c, hm, cm, total: cm + T * B * H };
}

/** What a sequence forward saves for its backward; views into one flat array `data`. */
export interface LstmCache {
  /** Steps T, batch B and hidden size H the cache was made for. */
  readonly T: number;
  /** Batch size B. */
  readonly B: number;
  /** Hidden size H. */
  readonly H: number;
  /** Region offsets within `data`. */
  readonly layout: LstmCacheLayout;
  /** The whole cache, `layout.total` elements. */
  readonly data: Floats;
  /** Activated gates, [T, B, 4H] (view of `data`). */
  readonly gates: Floats;
  /** c_t, [T, B, H] (view of `data`). */
  readonly c: Floats;
  /** hm_t, [T, B, H] (view of `data`). */
  readonly hm: Floats;
  /** cm_t, [T, B, H] (view of `data`). */
  readonly cm: Floats;
}

/** Allocates a zeroed cache for T steps (T = 1 for a cell), in float64 when `float64`. */
export function createLstmCache(
  { T, B, H, float64 = false, alignFloats = 64 }: LstmDims & {
    readonly float64?: boolean;
    readonly alignFloats?: number;
  },
): LstmCache {
  const layout = lstmCacheLayout({ T, B, H, alignFloats });
  const data = float64 ? new Float64Array(layout.total) : new Float32Array(layout.total);
  const n = T * B * H;
  return {
    T,
    B,
    H,
    layout,
    data,
    gates: data.subarray(layout.gates, layout.gates + 4 * n),
    c: data.subarray(layout.c, layout.c + n),
    hm: data.subarray(layout.hm, layout.hm + n),
    cm: data.subarray(layout.cm, layout.cm + n),
  };
}

/** Outputs of a sequence forward. */
export interface LstmSequenceOutputs {
  /** h_t of every step, [T, B, H]. */
  readonly hs: Floats;
  /** Final hidden state h_{T−1}, [B, H] (optional). */
  readonly hT?: Floats;
  /** Final cell state c_{T−1}, [B, H] (optional; also `cache.c[T−1]`). */
  readonly cT?: Floats;
}

/** Optional inputs and outputs of a sequence backward. */
export interface LstmBackwardExtras {
  /** Gradient flowing into the final hidden state from outside, [B, H]; 0 when absent. */
  readonly dhT?: Floats;
  /** Gradient flowing into the final cell state from outside, [B, H]; 0 when absent. */
  readonly dcT?: Floats;
  /** Output d loss / d h0, [B, H] (zero for sequences that reset at t = 0). */
  readonly dh0?: Floats;
  /** Output d loss / d c0, [B, H]. */
  readonly dc0?: Floats;
  /** Output: d loss / d gate pre-activations, [T, B, 4H]. */
  readonly dGates?: Floats;
  /** The matrix product of the gate products (default the twin {@link matmul}). */
  readonly matmul?: MatmulFn;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
/** tanh with its argument clamped to ±15 (tanh(15) rounds to 1 in f32), as in the WGSL. */
const tanh = (v: number) => Math.tanh(Math.min(15, Math.max(-15, v)));

function alloc(like: Floats, n: number): Floats {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

// The pointwise kernels' twins take one object: `lstm.wgsl`'s `Params` (B, H, T, t; its
// region offsets are the cache's views here) and the kernel's bindings by the same names
// (`fw_g_step` → gStep), so each reads `p.B`, `p.t` as the WGSL does.

/** Twin of `lstm.forward_start`'s `Params` and bindings (`fs_*`). */
export interface LstmForwardStartArgs {
  /** Sequences B. */
  readonly B: number;
  /** Hidden size H. */
  readonly H: number;
  /** Initial hidden state, [B, H]. */
  readonly h0: Floats;
  /** Initial cell state, [B, H]. */
  readonly c0: Floats;
  /** Reset flags, [T, B] (row 0 is read). */
  readonly starts: ResetMask;
  /** Receives hm_0, cm_0. */
  readonly cache: LstmCache;
  /** Output hm_0, [B, H]: the next gate product's input. */
  readonly hmStep: Floats;
}

/** Twin of `lstm.forward_start`: hmStep = hm_0 = (1 − starts_0)·h0, cm_0 = (1 − starts_0)·c0. */
export function lstmForwardStart(p: LstmForwardStartArgs): void {
  const { h0, c0, starts, cache, hmStep } = p;
  for (let b = 0; b < p.B; b++) {
    const keep = starts[b] !== 0 ? 0 : 1;
    for (let j = 0; j < p.H; j++) {
      const k = b * p.H + j;
      const h = keep * h0[k];
      hmStep[k] = h;
      cache.hm[k] = h;
      cache.cm[k] = keep * c0[k];
    }
  }
}

/** `lstm.wgsl`'s `Params` of a step kernel: the sizes and the step t. */
export interface LstmStepParams extends LstmDims {
  /** The step, in [0, T). */
  readonly t: number;
}

/** Twin of `lstm.forward_step`'s `Params` and bindings (`fw_*`). */
export interface LstmForwardStepArgs extends LstmStepParams {
  /** hm_t·wHhᵀ, [B, 4H]. */
  readonly gStep: Floats;
  /** gates[t] holds x_t·wIhᵀ + b and receives the activated gates; c, hm, cm. */
  readonly cache: LstmCache;
  /** Output h_t into row t, [T, B, H]. */
  readonly hs: Floats;
  /** Output hm_{t+1}, [B, H] (for t < T − 1). */
  readonly hmStep: Floats;
  /** Reset flags, [T, B]. */
  readonly starts: ResetMask;
  /** Output h_{T−1}, [B, H], at t = T − 1 (optional: WGSL flags bit 0). */
  readonly hFinal?: Floats;
  /** Output c_{T−1}, [B, H], at t = T − 1 (optional: WGSL flags bit 1). */
  readonly cFinal?: Floats;
}

/**
 * Twin of `lstm.forward_step` (fused pointwise step t): pre-activations gates[t] + gStep →
 * activated gates[t]; c_t = f⊙cm_t + i⊙g; h_t = o⊙tanh(c_t) → hs[t]; then the masked state of
 * step t + 1 (hm, cm, hmStep), or at t = T − 1 the final state (hFinal, cFinal when given).
 */
export function lstmForwardStep(p: LstmForwardStepArgs): void {
  const { gStep, cache, hs, hmStep, starts, hFinal, cFinal } = p;
  const { gates } = cache;
  const H = p.H;
  const t = p.t;
  for (let b = 0; b < p.B; b++) {
    const row = t * p.B + b;
    const gi = row * 4 * H;
    const hasNext = t + 1 < p.T;
    const keepNext = hasNext && starts[(t + 1) * p.B + b] !== 0 ? 0 : 1;
    for (let j = 0; j < H; j++) {
      const sg = b * 4 * H + j;
      const i = sigmoid(gates[gi + j] + gStep[sg]);
      const f = sigmoid(gates[gi + H + j] + gStep[sg + H]);
      const g = tanh(gates[gi + 2 * H + j] + gStep[sg + 2 * H]);
      const o = sigmoid(gates[gi + 3 * H + j] + gStep[sg + 3 * H]);
      gates[gi + j] = i;
      gates[gi + H + j] = f;
      gates[gi + 2 * H + j] = g;
      gates[gi + 3 * H + j] = o;
      const k = row * H + j;
      const c = f * cache.cm[k] + i * g;
      const h = o * tanh(c);
      cache.c[k] = c;
      hs[k] = h;
      if (hasNext) {
        const kn = k + p.B * H;
        cache.hm[kn] = keepNext * h;
        cache.cm[kn] = keepNext * c;
        hmStep[b * H + j] = keepNext * h;
      } else {
        if (hFinal) hFinal[b * H + j] = h;
        if (cFinal) cFinal[b * H + j] = c;
      }
    }
  }
}

/** Twin of `lstm.backward_start`'s bindings (`bs_*`). */
export interface LstmBackwardStartArgs {
  /** Gradient into h_{T−1} from outside, [B, H] (optional: WGSL flags bit 0; else 0). */
  readonly dhFinal?: Floats;
  /** Gradient into c_{T−1} from outside, [B, H] (optional: WGSL flags bit 1; else 0). */
  readonly dcFinal?: Floats;
  /** Output, [B, H]. */
  readonly dhCarry: Floats;
  /** Output, [B, H]. */
  readonly dcCarry: Floats;
}

/** Twin of `lstm.backward_start`: the carries start as dhFinal and dcFinal (zeros when absent). */
export function lstmBackwardStart(p: LstmBackwardStartArgs): void {
  if (p.dhFinal) p.dhCarry.set(p.dhFinal);
  else p.dhCarry.fill(0);
  if (p.dcFinal) p.dcCarry.set(p.dcFinal);
  else p.dcCarry.fill(0);
}

/** Twin of `lstm.backward_step`'s `Params` and bindings (`bw_*`). */
export interface LstmBackwardStepArgs extends LstmStepParams {
  /** What the forward saved. */
  readonly cache: LstmCache;
  /** Reset flags, [T, B]. */
  readonly starts: ResetMask;
  /** d loss / d hs, [T, B, H]. */
  readonly dhs: Floats;
  /** d/dhm_{t+1}, [B, H]. */
  readonly dhCarry: Floats;
  /** d/dcm_{t+1} in, d/dcm_t out, [B, H]. */
  readonly dcCarry: Floats;
  /** Output: the gate pre-activation gradients into row t, [T, B, 4H]. */
  readonly dgAll: Floats;
  /** Output: the same row, [B, 4H] (the next product's input). */
  readonly dgStep: Floats;
}

/**
 * Twin of `lstm.backward_step` (fused pointwise backward of step t): from dh_t = dhs[t] +
 * keep·dhCarry and dc_t = keep·dcCarry + dh_t·o·(1 − tanh²c_t), with keep = 1 − starts_{t+1}
 * (1 at t = T − 1), writes the pre-activation gradients to dgAll[t] and dgStep, and
 * dcCarry = dc_t⊙f (the gradient w.r.t. cm_t).
 */
export function lstmBackwardStep(p: LstmBackwardStepArgs): void {
  const { cache, starts, dhs, dhCarry, dcCarry, dgAll, dgStep } = p;
  const { gates } = cache;
  const H = p.H;
  const t = p.t;
  for (let b = 0; b < p.B; b++) {
    const row = t * p.B + b;
    const gi = row * 4 * H;
    const keep = t + 1 < p.T && starts[(t + 1) * p.B + b] !== 0 ? 0 : 1;
    for (let j = 0; j < H; j++) {
      const k = row * H + j;
      const kb = b * H + j;
      const i = gates[gi + j];
      const f = gates[gi + H + j];
      const g = gates[gi + 2 * H + j];
      const o = gates[gi + 3 * H + j];
      const tc = tanh(cache.c[k]);
      const dh = dhs[k] + keep * dhCarry[kb];
      const dc = keep * dcCarry[kb] + dh * o * (1 - tc * tc);
      const di = dc * g * i * (1 - i);
      const df = dc * cache.cm[k] * f * (1 - f);
      const dg = dc * i * (1 - g * g);
      const dO = dh * tc * o * (1 - o);
      dgAll[gi + j] = di;
      dgAll[gi + H + j] = df;
      dgAll[gi + 2 * H + j] = dg;
      dgAll[gi + 3 * H + j] = dO;
      const sg = b * 4 * H + j;
      dgStep[sg] = di;
      dgStep[sg + H] = df;
      dgStep[sg + 2 * H] = dg;
      dgStep[sg + 3 * H] = dO;
      dcCarry[kb] = dc * f;
    }
  }
}

/** Twin of `lstm.backward_finish`'s `Params` and bindings (`bf_*`). */
export interface LstmBackwardFinishArgs {
  /** Sequences B. */
  readonly B: number;
  /** Hidden size H. */
  readonly H: number;
  /** Reset flags, [T, B] (row 0 is read). */
  readonly starts: ResetMask;
  /** d/dhm_0, [B, H]. */
  readonly dhCarry: Floats;
  /** d/dcm_0, [B, H]. */
  readonly dcCarry: Floats;
  /** Output d loss / d h0, [B, H] (optional: WGSL flags bit 0). */
  readonly dh0?: Floats;
  /** Output d loss / d c0, [B, H] (optional: WGSL flags bit 1). */
  readonly dc0?: Floats;
}

/** Twin of `lstm.backward_finish`: dh0 = (1 − starts_0)·dhCarry, dc0 = (1 − starts_0)·dcCarry. */
export function lstmBackwardFinish(p: LstmBackwardFinishArgs): void {
  const { starts, dhCarry, dcCarry, dh0, dc0 } = p;
  for (let b = 0; b < p.B; b++) {
    const keep = starts[b] !== 0 ? 0 : 1;
    for (let j = 0; j < p.H; j++) {
      const k = b * p.H + j;
      if (dh0) dh0[k] = keep * dhCarry[k];
      if (dc0) dc0[k] = keep * dcCarry[k];
    }
  }
}

/** Throws a RangeError naming `kernel` unless the weights have shapes [4H, I], [4H, H], [4H]. */
export function checkLstmParams(
  kernel: string,
  p: { wIh: { length: number }; wHh: { length: number }; b: { length: number } },
  I: number,
  H: number,
  names: readonly [string, string, string] = ["wIh", "wHh", "b"],
): void {
  checkShape(kernel, names[0], p.wIh.length, [4 * H, I]);
  checkShape(kernel, names[1], p.wHh.length, [4 * H, H]);
  checkShape(kernel, names[2], p.b.length, [4 * H]);
}

/** Throws a RangeError naming `kernel` and the field unless T, B, I, H are positive integers. */
export function checkLstmDims(kernel: string, T: number, B: number, I: number, H: number): void {
  checkPositiveInt(kernel, "T", T);
  checkPositiveInt(kernel, "B", B);
  checkPositiveInt(kernel, "I", I);
  checkPositiveInt(kernel, "H", H);
}

function checkCache(kernel: string, cache: LstmCache, T: number, B: number, H: number): void {
  if (cache.T !== T || cache.B !== B || cache.H !== H) {
    throw new RangeError(
      `${kernel}: cache was made for [T, B, H] = [${cache.T}, ${cache.B}, ${cache.H}], ` +
        `expected [${T}, ${B}, ${H}]`,
    );
  }
}

/** Arguments of {@link lstmSequenceForward}: inputs, sizes, cache and outputs. */
export interface LstmSequenceForwardArgs extends LstmSequenceOutputs, LstmDims {
  /** The weights. */
  readonly params: LstmParams;
  /** Inputs, [T, B, I]. */
  readonly x: Floats;
  /** Reset flags, [T, B]. */
  readonly starts: ResetMask;
  /** Initial hidden state, [B, H]. */
  readonly h0: Floats;
  /** Initial cell state, [B, H]. */
  readonly c0: Floats;
  /** Input size I. */
  readonly I: number;
  /** Filled for the backward pass; made by {@link createLstmCache} for the same T, B, H. */
  readonly cache: LstmCache;
  /** The matrix product of the gate products (default the twin {@link matmul}). */
  readonly matmul?: MatmulFn;
}

/**
 * Forward over a T-step sequence (see the module doc for the plan). Writes hs [T, B, H], the
 * optional final state hT, cT [B, H], and fills `cache` for {@link lstmSequenceBackward}.
 *
 * @example
 * ```ts
 * import { createLstmCache, lstmSequenceForward } from "@webgpu-rl/core/nn";
 * const [T, B, I, H] = [3, 2, 4, 5];
 * const params = {
 *   wIh: new Float32Array(4 * H * I).fill(0.1),
 *   wHh: new Float32Array(4 * H * H),
 *   b: new Float32Array(4 * H),
 * };
 * const hs = new Float32Array(T * B * H);
 * lstmSequenceForward({
 *   params,
 *   x: new Float32Array(T * B * I).fill(1),
 *   starts: new Uint32Array(T * B),
 *   h0: new Float32Array(B * H),
 *   c0: new Float32Array(B * H),
 *   T, B, I, H,
 *   cache: createLstmCache({ T, B, H }),
 *   hs,
 * });
 * ```
 */
export function lstmSequenceForward(a: LstmSequenceForwardArgs): void {
  const { params, x, starts, h0, c0, T, B, I, H, cache, hs, hT, cT } = a;
  const mm = a.matmul ?? matmul;
  const k = "lstm.sequenceForward";
  checkLstmDims(k, T, B, I, H);
  checkLstmParams(k, params, I, H);
  checkShape(k, "x", x.length, [T, B, I]);
  checkShape(k, "starts", starts.length, [T, B]);
  checkShape(k, "h0", h0.length, [B, H]);
  checkShape(k, "c0", c0.length, [B, H]);
  checkCache(k, cache, T, B, H);
  checkShape(k, "hs", hs.length, [T, B, H]);
  if (hT) checkShape(k, "hT", hT.length, [B, H]);
  if (cT) checkShape(k, "cT", cT.length, [B, H]);

  const gStep = alloc(x, B * 4 * H);
  const hmStep = alloc(x, B * H);
  linearForward({
    x,
    w: params.wIh,
    b: params.b,
    y: cache.gates,
    batch: T * B,
    inFeatures: I,
    outFeatures: 4 * H,
    matmul: mm,
  });
  lstmForwardStart({ B, H, h0, c0, starts, cache, hmStep });
  for (let t = 0; t < T; t++) {
    mm({ a: hmStep, b: params.wHh, c: gStep, m: B, n: 4 * H, k: H, transB: true });
    lstmForwardStep({ t, T, B, H, gStep, cache, hs, hmStep, starts, hFinal: hT, cFinal: cT });
  }
}

/** Arguments of {@link lstmSequenceBackward}: the forward's inputs, its cache, dhs and outputs. */
export interface LstmSequenceBackwardArgs extends LstmBackwardExtras, LstmDims {
  /** The weights. */
  readonly params: LstmParams;
  /** The forward's inputs, [T, B, I]. */
  readonly x: Floats;
  /** The forward's reset flags, [T, B]. */
  readonly starts: ResetMask;
  /** Input size I. */
  readonly I: number;
  /** What the forward saved. */
  readonly cache: LstmCache;
  /** d loss / d hs, [T, B, H]. */
  readonly dhs: Floats;
  /** Weight gradients; ADDED to. */
  readonly grads: LstmGrads;
  /** Output d loss / d x, [T, B, I] (overwritten). */
  readonly dx: Floats;
}

/**
 * Backward over a T-step sequence (see the module doc for the plan), after
 * {@link lstmSequenceForward} filled `cache`. Writes dx (overwritten) and ADDS the weight
 * gradients to `grads`; `dhT`, `dcT` give the gradient into the final state and `dh0`, `dc0`,
 * `dGates` ask for the gradients of the initial state and the gate pre-activations.
 */
export function lstmSequenceBackward(a: LstmSequenceBackwardArgs): void {
  const { params, x, starts, cache, dhs, T, B, I, H, grads, dx, dh0, dc0 } = a;
  const k = "lstm.sequenceBackward";
  checkLstmDims(k, T, B, I, H);
  checkLstmParams(k, params, I, H);
  const { dwIh, dwHh, db } = grads;
  checkLstmParams(k, { wIh: dwIh, wHh: dwHh, b: db }, I, H, ["dwIh", "dwHh", "db"]);
  checkShape(k, "x", x.length, [T, B, I]);
  checkShape(k, "starts", starts.length, [T, B]);
  checkCache(k, cache, T, B, H);
  checkShape(k, "dhs", dhs.length, [T, B, H]);
  checkShape(k, "dx", dx.length, [T, B, I]);
  for (const name of ["dhT", "dcT", "dh0", "dc0"] as const) {
    const v = a[name];
    if (v) checkShape(k, name, v.length, [B, H]);
  }
  if (a.dGates) checkShape(k, "dGates", a.dGates.length, [T, B, 4 * H]);

  const dgAll = a.dGates ?? alloc(x, T * B * 4 * H);
  const dgStep = alloc(x, B * 4 * H);
  const dhCarry = alloc(x, B * H);
  const dcCarry = alloc(x, B * H);
  const wantState = Boolean(dh0 || dc0);
  const mm = a.matmul ?? matmul;
  lstmBackwardStart({ dhFinal: a.dhT, dcFinal: a.dcT, dhCarry, dcCarry });
  for (let t = T - 1; t >= 0; t--) {
    lstmBackwardStep({ t, T, B, H, cache, starts, dhs, dhCarry, dcCarry, dgAll, dgStep });
    if (t > 0 || wantState) mm({ a: dgStep, b: params.wHh, c: dhCarry, m: B, n: H, k: 4 * H });
  }
  const rows = {
    x,
    w: params.wIh,
    dy: dgAll,
    batch: T * B,
    inFeatures: I,
    outFeatures: 4 * H,
    matmul: mm,
  };
  linearBackward({ ...rows, dx });
  linearBackward({ ...rows, dw: grads.dwIh, db: grads.db, accumulate: true });
  mm({
    a: dgAll,
    b: cache.hm,
    c: grads.dwHh,
    m: 4 * H,
    n: H,
    k: T * B,
    transA: true,
    accumulate: true,
  });
  if (wantState) lstmBackwardFinish({ B, H, starts, dhCarry, dcCarry, dh0, dc0 });
}

/** Arguments of {@link lstmCellForward}: one step over a batch. */
export interface LstmCellForwardArgs {
  /** The weights. */
  readonly params: LstmParams;
  /** Inputs, [B, I]. */
  readonly x: Floats;
  /** Reset flags, [B]; absent: no reset. */
  readonly starts?: ResetMask;
  /** Previous hidden state, [B, H]. */
  readonly hPrev: Floats;
  /** Previous cell state, [B, H]. */
  readonly cPrev: Floats;
  /** Batch B. */
  readonly B: number;
  /** Input size I. */
  readonly I: number;
  /** Hidden size H. */
  readonly H: number;
  /** Made for T = 1; receives the activated gates [B, 4H], hm, cm and c'. */
  readonly cache: LstmCache;
  /** Output h', [B, H]. */
  readonly h: Floats;
  /** Output c', [B, H]. */
  readonly c: Floats;
}

/** One LSTM step over a batch: the sequence forward with T = 1. */
export function lstmCellForward(a: LstmCellForwardArgs): void {
  const { params, x, hPrev, cPrev, B, I, H, cache, h, c } = a;
  const k = "lstm.cellForward";
  checkLstmDims(k, 1, B, I, H);
  if (a.starts) checkShape(k, "starts", a.starts.length, [B]);
  checkShape(k, "h", h.length, [B, H]);
  checkShape(k, "c", c.length, [B, H]);
  const starts = a.starts ?? new Uint32Array(B);
  lstmSequenceForward({
    params,
    x,
    starts,
    h0: hPrev,
    c0: cPrev,
    T: 1,
    B,
    I,
    H,
    cache,
    hs: h,
    cT: c,
  });
}

/** Outputs of a cell backward. */
export interface LstmCellGradients {
  /** d loss / d x, [B, I]. */
  readonly dx: Floats;
  /** d loss / d hPrev, [B, H] (optional). */
  readonly dh?: Floats;
  /** d loss / d cPrev, [B, H] (optional). */
  readonly dc?: Floats;
  /** d loss / d gate pre-activations, [B, 4H] (optional). */
  readonly dGates?: Floats;
}

/** Arguments of {@link lstmCellBackward}: the forward's, the gradient of h', c' and outputs. */
export interface LstmCellBackwardArgs extends LstmCellGradients {
  /** The weights. */
  readonly params: LstmParams;
  /** The forward's inputs, [B, I]. */
  readonly x: Floats;
  /** The forward's reset flags, [B]; absent: no reset. */
  readonly starts?: ResetMask;
  /** What the forward saved. */
  readonly cache: LstmCache;
  /** d loss / d h', [B, H]. */
  readonly dhNext: Floats;
  /** d loss / d c', [B, H]; absent: 0. */
  readonly dcNext?: Floats;
  /** Batch B. */
  readonly B: number;
  /** Input size I. */
  readonly I: number;
  /** Hidden size H. */
  readonly H: number;
  /** Weight gradients; ADDED to. */
  readonly grads: LstmGrads;
}

/**
 * Backward of one LSTM step after {@link lstmCellForward}: writes dx and the optional
 * d-gates, dh, dc, and ADDS dwIh, dwHh, db.
 */
export function lstmCellBackward(a: LstmCellBackwardArgs): void {
  const { params, x, cache, dhNext, dcNext, B, I, H, grads } = a;
  const k = "lstm.cellBackward";
  checkLstmDims(k, 1, B, I, H);
  if (a.starts) checkShape(k, "starts", a.starts.length, [B]);
  checkShape(k, "dhNext", dhNext.length, [B, H]);
  if (dcNext) checkShape(k, "dcNext", dcNext.length, [B, H]);
  const starts = a.starts ?? new Uint32Array(B);
  lstmSequenceBackward({
    params,
    x,
    starts,
    cache,
    dhs: dhNext,
    T: 1,
    B,
    I,
    H,
    grads,
    dx: a.dx,
    dcT: dcNext,
    dh0: a.dh,
    dc0: a.dc,
    dGates: a.dGates,
  });
}
