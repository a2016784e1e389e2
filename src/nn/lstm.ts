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

/**
 * The layout of the cache of a T-step sequence of B sequences with hidden size H. Regions
 * start at multiples of `alignFloats` (default 64 floats = 256 bytes, WebGPU's usual
 * `minStorageBufferOffsetAlignment`; the GPU recorders pass the device's value).
 */
export function lstmCacheLayout(
  T: number,
  B: number,
  H: number,
  alignFloats = 64,
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
  T: number,
  B: number,
  H: number,
  float64 = false,
  alignFloats = 64,
): LstmCache {
  const layout = lstmCacheLayout(T, B, H, alignFloats);
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

/** Twin of `lstm.forward_start`: hmStep = hm_0 = (1 − starts_0)·h0, cm_0 = (1 − starts_0)·c0. */
export function lstmForwardStart(
  B: number,
  H: number,
  h0: Floats,
  c0: Floats,
  starts: ResetMask,
  cache: LstmCache,
  hmStep: Floats,
): void {
  for (let b = 0; b < B; b++) {
    const keep = starts[b] !== 0 ? 0 : 1;
    for (let j = 0; j < H; j++) {
      const k = b * H + j;
      const h = keep * h0[k];
      hmStep[k] = h;
      cache.hm[k] = h;
      cache.cm[k] = keep * c0[k];
    }
  }
}

/**
 * Twin of `lstm.forward_step` (fused pointwise step t): pre-activations gates[t] + gStep →
 * activated gates[t]; c_t = f⊙cm_t + i⊙g; h_t = o⊙tanh(c_t) → hs[t]; then the masked state of
 * step t + 1 (hm, cm, hmStep), or at t = T − 1 the final state (hT, cT when given).
 */
export function lstmForwardStep(
  t: number,
  T: number,
  B: number,
  H: number,
  gStep: Floats,
  cache: LstmCache,
  hs: Floats,
  hmStep: Floats,
  starts: ResetMask,
  hT: Floats | null,
  cT: Floats | null,
): void {
  const { gates } = cache;
  for (let b = 0; b < B; b++) {
    const row = t * B + b;
    const gi = row * 4 * H;
    const hasNext = t + 1 < T;
    const keepNext = hasNext && starts[(t + 1) * B + b] !== 0 ? 0 : 1;
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
        const kn = k + B * H;
        cache.hm[kn] = keepNext * h;
        cache.cm[kn] = keepNext * c;
        hmStep[b * H + j] = keepNext * h;
      } else {
        if (hT) hT[b * H + j] = h;
        if (cT) cT[b * H + j] = c;
      }
    }
  }
}

/** Twin of `lstm.backward_start`: the carries start as dhT and dcT (zeros when absent). */
export function lstmBackwardStart(
  dhT: Floats | null,
  dcT: Floats | null,
  dhCarry: Floats,
  dcCarry: Floats,
): void {
  if (dhT) dhCarry.set(dhT);
  else dhCarry.fill(0);
  if (dcT) dcCarry.set(dcT);
  else dcCarry.fill(0);
}

/**
 * Twin of `lstm.backward_step` (fused pointwise backward of step t): from dh_t = dhs[t] +
 * keep·dhCarry and dc_t = keep·dcCarry + dh_t·o·(1 − tanh²c_t), with keep = 1 − starts_{t+1}
 * (1 at t = T − 1), writes the pre-activation gradients to dG[t] and dgStep, and
 * dcCarry = dc_t⊙f (the gradient w.r.t. cm_t).
 */
export function lstmBackwardStep(
  t: number,
  T: number,
  B: number,
  H: number,
  cache: LstmCache,
  starts: ResetMask,
  dhs: Floats,
  dhCarry: Floats,
  dcCarry: Floats,
  dG: Floats,
  dgStep: Floats,
): void {
  const { gates } = cache;
  for (let b = 0; b < B; b++) {
    const row = t * B + b;
    const gi = row * 4 * H;
    const keep = t + 1 < T && starts[(t + 1) * B + b] !== 0 ? 0 : 1;
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
      dG[gi + j] = di;
      dG[gi + H + j] = df;
      dG[gi + 2 * H + j] = dg;
      dG[gi + 3 * H + j] = dO;
      const sg = b * 4 * H + j;
      dgStep[sg] = di;
      dgStep[sg + H] = df;
      dgStep[sg + 2 * H] = dg;
      dgStep[sg + 3 * H] = dO;
      dcCarry[kb] = dc * f;
    }
  }
}

/** Twin of `lstm.backward_finish`: dh0 = (1 − starts_0)·dhCarry, dc0 = (1 − starts_0)·dcCarry. */
export function lstmBackwardFinish(
  B: number,
  H: number,
  starts: ResetMask,
  dhCarry: Floats,
  dcCarry: Floats,
  dh0: Floats | null,
  dc0: Floats | null,
): void {
  for (let b = 0; b < B; b++) {
    const keep = starts[b] !== 0 ? 0 : 1;
    for (let j = 0; j < H; j++) {
      const k = b * H + j;
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

/**
 * Forward over a T-step sequence (see the module doc for the plan). Writes hs [T, B, H], the
 * optional final state hT, cT [B, H], and fills `cache` (made by {@link createLstmCache} for
 * the same T, B, H) for {@link lstmSequenceBackward}. `mm` computes the gate products
 * (default the twin {@link matmul}).
 *
 * x: [T, B, I]; starts: [T, B] reset flags; h0, c0: [B, H].
 */
export function lstmSequenceForward(
  params: LstmParams,
  x: Floats,
  starts: ResetMask,
  h0: Floats,
  c0: Floats,
  T: number,
  B: number,
  I: number,
  H: number,
  cache: LstmCache,
  out: LstmSequenceOutputs,
  mm: MatmulFn = matmul,
): void {
  const k = "lstm.sequenceForward";
  checkLstmDims(k, T, B, I, H);
  checkLstmParams(k, params, I, H);
  checkShape(k, "x", x.length, [T, B, I]);
  checkShape(k, "starts", starts.length, [T, B]);
  checkShape(k, "h0", h0.length, [B, H]);
  checkShape(k, "c0", c0.length, [B, H]);
  checkCache(k, cache, T, B, H);
  checkShape(k, "hs", out.hs.length, [T, B, H]);
  if (out.hT) checkShape(k, "hT", out.hT.length, [B, H]);
  if (out.cT) checkShape(k, "cT", out.cT.length, [B, H]);

  const gStep = alloc(x, B * 4 * H);
  const hmStep = alloc(x, B * H);
  linearForward(x, params.wIh, params.b, cache.gates, T * B, I, 4 * H, mm);
  lstmForwardStart(B, H, h0, c0, starts, cache, hmStep);
  for (let t = 0; t < T; t++) {
    mm(hmStep, params.wHh, gStep, B, 4 * H, H, { transB: true });
    lstmForwardStep(
      t,
      T,
      B,
      H,
      gStep,
      cache,
      out.hs,
      hmStep,
      starts,
      out.hT ?? null,
      out.cT ?? null,
    );
  }
}

/**
 * Backward over a T-step sequence (see the module doc for the plan), after
 * {@link lstmSequenceForward} filled `cache`. dhs: d loss / d hs, [T, B, H]. Writes
 * dx [T, B, I] (overwritten) and ADDS the weight gradients to `grads`. `extras` gives the
 * gradient into the final state and asks for dh0, dc0 and the gate gradients.
 */
export function lstmSequenceBackward(
  params: LstmParams,
  x: Floats,
  starts: ResetMask,
  cache: LstmCache,
  dhs: Floats,
  T: number,
  B: number,
  I: number,
  H: number,
  grads: LstmGrads,
  dx: Floats,
  extras: LstmBackwardExtras = {},
): void {
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
    const a = extras[name];
    if (a) checkShape(k, name, a.length, [B, H]);
  }
  if (extras.dGates) checkShape(k, "dGates", extras.dGates.length, [T, B, 4 * H]);

  const dG = extras.dGates ?? alloc(x, T * B * 4 * H);
  const dgStep = alloc(x, B * 4 * H);
  const dhCarry = alloc(x, B * H);
  const dcCarry = alloc(x, B * H);
  const wantState = Boolean(extras.dh0 || extras.dc0);
  const mm = extras.matmul ?? matmul;
  lstmBackwardStart(extras.dhT ?? null, extras.dcT ?? null, dhCarry, dcCarry);
  for (let t = T - 1; t >= 0; t--) {
    lstmBackwardStep(t, T, B, H, cache, starts, dhs, dhCarry, dcCarry, dG, dgStep);
    if (t > 0 || wantState) mm(dgStep, params.wHh, dhCarry, B, H, 4 * H);
  }
  const rows = {
    x,
    w: params.wIh,
    dy: dG,
    batch: T * B,
    inFeatures: I,
    outFeatures: 4 * H,
    matmul: mm,
  };
  linearBackward({ ...rows, dx });
  linearBackward({ ...rows, dw: grads.dwIh, db: grads.db, accumulate: true });
  mm(dG, cache.hm, grads.dwHh, 4 * H, H, T * B, { transA: true, accumulate: true });
  if (wantState) {
    lstmBackwardFinish(B, H, starts, dhCarry, dcCarry, extras.dh0 ?? null, extras.dc0 ?? null);
  }
}

/** Outputs of a cell forward: the new state. */
export interface LstmCellOutputs {
  /** h', [B, H]. */
  readonly h: Floats;
  /** c', [B, H] (also saved in `cache.c`). */
  readonly c: Floats;
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

/**
 * One LSTM step over a batch: the sequence forward with T = 1. x: [B, I]; starts: [B] reset
 * flags or null (no reset); hPrev, cPrev: [B, H]; `cache` made for T = 1 (it receives the
 * activated gates [B, 4H], hm, cm and c'). Writes h', c' into `out`.
 */
export function lstmCellForward(
  params: LstmParams,
  x: Floats,
  starts: ResetMask | null,
  hPrev: Floats,
  cPrev: Floats,
  B: number,
  I: number,
  H: number,
  cache: LstmCache,
  out: LstmCellOutputs,
): void {
  const k = "lstm.cellForward";
  checkLstmDims(k, 1, B, I, H);
  if (starts) checkShape(k, "starts", starts.length, [B]);
  checkShape(k, "h", out.h.length, [B, H]);
  checkShape(k, "c", out.c.length, [B, H]);
  const s = starts ?? new Uint32Array(B);
  lstmSequenceForward(params, x, s, hPrev, cPrev, 1, B, I, H, cache, { hs: out.h, cT: out.c });
}

/**
 * Backward of one LSTM step after {@link lstmCellForward}: from dh' and dc' (null: 0), both
 * [B, H], writes dx and the optional d-gates, dh, dc of `out`, and ADDS dwIh, dwHh, db.
 */
export function lstmCellBackward(
  params: LstmParams,
  x: Floats,
  starts: ResetMask | null,
  cache: LstmCache,
  dhNext: Floats,
  dcNext: Floats | null,
  B: number,
  I: number,
  H: number,
  grads: LstmGrads,
  out: LstmCellGradients,
): void {
  const k = "lstm.cellBackward";
  checkLstmDims(k, 1, B, I, H);
  if (starts) checkShape(k, "starts", starts.length, [B]);
  checkShape(k, "dhNext", dhNext.length, [B, H]);
  if (dcNext) checkShape(k, "dcNext", dcNext.length, [B, H]);
  const s = starts ?? new Uint32Array(B);
  lstmSequenceBackward(params, x, s, cache, dhNext, 1, B, I, H, grads, out.dx, {
    dcT: dcNext ?? undefined,
    dh0: out.dh,
    dc0: out.dc,
    dGates: out.dGates,
  });
}
