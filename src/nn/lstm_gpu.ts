/**
 * Records the LSTM layer on the GPU: the pointwise kernels of `shaders/lstm.wgsl` and the
 * matmuls of `linear_gpu.ts`, in the plan of the twin `lstm.ts` (see its module doc for the
 * formulas and the order of the steps).
 *
 * Layouts as in the twin: x [T, B, I], hs and dhs [T, B, H], h0/c0/hT/cT [B, H], all f32
 * row-major; `starts` is u32 [T, B] (nonzero where an episode starts at that step). The
 * cache is one f32 buffer whose regions start at multiples of the device's
 * `minStorageBufferOffsetAlignment` ({@link createLstmGpuCache}).
 *
 * A sequence forward records 2T + 2 dispatches (one linear layer over all T·B rows, a start
 * kernel, and per step a matmul and the fused pointwise kernel); a backward 2T + 4 to 2T + 7
 * (start, per step the fused pointwise backward and a matmul, the linear backward, the wHh
 * gradient and, when asked for, dh0/dc0). Every buffer and uniform is made at record time:
 * the plan replays with no CPU work. `h0` and `hT` (and `c0`, `cT`) may be the same buffer,
 * so that each rollout continues from the last one's final state.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import {
  bindTensor,
  type BufferRange,
  createStorageBuffer,
  createUniformBuffer,
  dummyBuffer,
  ParamWriter,
} from "../gpu/buffers.ts";
import { type Dispatch, makeDispatch1d } from "../gpu/plan.ts";
import { recordLinearBackward, recordLinearForward, recordMatmul } from "./linear_gpu.ts";
import { checkLstmDims, type LstmCacheLayout, lstmCacheLayout, type LstmDims } from "./lstm.ts";

/** LSTM weights on the GPU: wIh [4H, I], wHh [4H, H], b [4H] (gate rows i, f, g, o). */
export interface LstmGpuParams {
  /** Input-to-hidden weights, [4H, I]. */
  readonly wIh: BufferRange;
  /** Hidden-to-hidden weights, [4H, H]. */
  readonly wHh: BufferRange;
  /** Bias, [4H]. */
  readonly b: BufferRange;
}

/** Gradients of the LSTM weights on the GPU, same shapes; backward adds to them. */
export interface LstmGpuGrads {
  /** d loss / d wIh, [4H, I]. */
  readonly dwIh: BufferRange;
  /** d loss / d wHh, [4H, H]. */
  readonly dwHh: BufferRange;
  /** d loss / d b, [4H]. */
  readonly db: BufferRange;
}

/** The GPU cache of a sequence forward: one buffer with the regions of {@link LstmCacheLayout}. */
export interface LstmGpuCache {
  /** Steps T the cache was made for. */
  readonly T: number;
  /** Batch size B. */
  readonly B: number;
  /** Hidden size H. */
  readonly H: number;
  /** Element offsets of the regions (aligned to the device's binding offset alignment). */
  readonly layout: LstmCacheLayout;
  /** The buffer, `layout.total` floats. */
  readonly buffer: GPUBuffer;
  /** Activated gates, [T, B, 4H]. */
  readonly gates: BufferRange;
  /** c_t, [T, B, H]. */
  readonly c: BufferRange;
  /** Masked incoming hidden states hm_t, [T, B, H]. */
  readonly hm: BufferRange;
  /** Masked incoming cell states cm_t, [T, B, H]. */
  readonly cm: BufferRange;
}

/** Allocates the cache of a T-step forward (T = 1 for a cell); same layout as the twin's. */
export function createLstmGpuCache(
  gpu: Gpu,
  { T, B, H, label = "lstm cache" }: LstmDims & { readonly label?: string },
): LstmGpuCache {
  const alignFloats = gpu.limits.minStorageBufferOffsetAlignment / 4;
  const layout = lstmCacheLayout({ T, B, H, alignFloats });
  const buffer = createStorageBuffer(gpu, layout.total * 4, label);
  const n = T * B * H;
  const region = (offset: number, count: number) => ({
    buffer,
    offset: offset * 4,
    size: count * 4,
  });
  return {
    T,
    B,
    H,
    layout,
    buffer,
    gates: region(layout.gates, 4 * n),
    c: region(layout.c, n),
    hm: region(layout.hm, n),
    cm: region(layout.cm, n),
  };
}

/** Arguments of {@link recordLstmSequenceForward}. */
export interface LstmSequenceForwardGpuArgs {
  /** Weights. */
  readonly params: LstmGpuParams;
  /** Inputs, [T, B, I]. */
  readonly x: BufferRange;
  /** Reset flags, u32 [T, B]. */
  readonly starts: BufferRange;
  /** Initial hidden state, [B, H]. */
  readonly h0: BufferRange;
  /** Initial cell state, [B, H]. */
  readonly c0: BufferRange;
  /** Steps. */
  readonly T: number;
  /** Sequences (batch). */
  readonly B: number;
  /** Input features. */
  readonly I: number;
  /** Hidden size. */
  readonly H: number;
  /** Cache made by {@link createLstmGpuCache} for T, B, H; filled for the backward. */
  readonly cache: LstmGpuCache;
  /** Output h_t of every step, [T, B, H]. */
  readonly hs: BufferRange;
  /** Output final hidden state, [B, H] (may be the h0 buffer). */
  readonly hT?: BufferRange;
  /** Output final cell state, [B, H] (may be the c0 buffer). */
  readonly cT?: BufferRange;
}

/** Arguments of {@link recordLstmSequenceBackward}. */
export interface LstmSequenceBackwardGpuArgs {
  /** Weights. */
  readonly params: LstmGpuParams;
  /** The forward's inputs, [T, B, I]. */
  readonly x: BufferRange;
  /** The forward's reset flags, u32 [T, B]. */
  readonly starts: BufferRange;
  /** The cache the forward filled. */
  readonly cache: LstmGpuCache;
  /** d loss / d hs, [T, B, H]. */
  readonly dhs: BufferRange;
  /** Steps. */
  readonly T: number;
  /** Sequences (batch). */
  readonly B: number;
  /** Input features. */
  readonly I: number;
  /** Hidden size. */
  readonly H: number;
  /** Weight gradients, added to. */
  readonly grads: LstmGpuGrads;
  /** Output d loss / d x, [T, B, I] (overwritten). */
  readonly dx: BufferRange;
  /** Gradient into the final hidden state, [B, H]; 0 when absent. */
  readonly dhT?: BufferRange;
  /** Gradient into the final cell state, [B, H]; 0 when absent. */
  readonly dcT?: BufferRange;
  /** Output d loss / d h0, [B, H]. */
  readonly dh0?: BufferRange;
  /** Output d loss / d c0, [B, H]. */
  readonly dc0?: BufferRange;
  /** Output d loss / d gate pre-activations, [T, B, 4H]; a scratch buffer when absent. */
  readonly dGates?: BufferRange;
}

function checkGpuCache(kernel: string, cache: LstmGpuCache, T: number, B: number, H: number) {
  if (cache.T !== T || cache.B !== B || cache.H !== H) {
    throw new RangeError(
      `${kernel}: cache was made for [T, B, H] = [${cache.T}, ${cache.B}, ${cache.H}], ` +
        `expected [${T}, ${B}, ${H}]`,
    );
  }
}

function checkGpuParams(
  gpu: Gpu,
  kernel: string,
  p: LstmGpuParams | LstmGpuGrads,
  I: number,
  H: number,
  names: readonly [string, string, string],
): void {
  const [wIh, wHh, b] = "wIh" in p ? [p.wIh, p.wHh, p.b] : [p.dwIh, p.dwHh, p.db];
  bindTensor(gpu, kernel, names[0], wIh, [4 * H, I]);
  bindTensor(gpu, kernel, names[1], wHh, [4 * H, H]);
  bindTensor(gpu, kernel, names[2], b, [4 * H]);
}

/** The uniform of one lstm.wgsl dispatch. */
function lstmUniform(
  gpu: Gpu,
  kernel: string,
  cache: LstmGpuCache,
  t: number,
  flags: number,
): GPUBuffer {
  const { B, H, T, layout } = cache;
  return createUniformBuffer(
    gpu,
    new ParamWriter().u32(B).u32(H).u32(T).u32(t)
      .u32(layout.gates).u32(layout.c).u32(layout.hm).u32(layout.cm).u32(flags).bytes(),
    kernel,
  );
}

/** Workgroup size of the lstm kernels (the shader's WG). */
const WG = 64;

/** Records an lstm.wgsl entry point over its `n` = B·H invocations. */
function recordLstmKernel(
  gpu: Gpu,
  entryPoint: string,
  n: number,
  buffers: readonly (BufferRange | undefined)[],
): Promise<Dispatch> {
  return makeDispatch1d(gpu, { shader: "lstm", entryPoint, buffers, n, wg: WG });
}

/**
 * Records the forward over a T-step sequence: hs [T, B, H], the optional final state, and the
 * cache for {@link recordLstmSequenceBackward}. Returns the whole static plan (2T + 2
 * dispatches plus the linear layer's).
 */
export async function recordLstmSequenceForward(
  gpu: Gpu,
  args: LstmSequenceForwardGpuArgs,
): Promise<Dispatch[]> {
  const k = "lstm.sequenceForward";
  const { params, T, B, I, H, cache } = args;
  checkLstmDims(k, T, B, I, H);
  checkGpuParams(gpu, k, params, I, H, ["wIh", "wHh", "b"]);
  checkGpuCache(k, cache, T, B, H);
  const x = bindTensor(gpu, k, "x", args.x, [T, B, I]);
  const starts = bindTensor(gpu, k, "starts", args.starts, [T, B]);
  const h0 = bindTensor(gpu, k, "h0", args.h0, [B, H]);
  const c0 = bindTensor(gpu, k, "c0", args.c0, [B, H]);
  const hs = bindTensor(gpu, k, "hs", args.hs, [T, B, H]);
  const hT = args.hT ? bindTensor(gpu, k, "hT", args.hT, [B, H]) : dummyBuffer(gpu);
  const cT = args.cT ? bindTensor(gpu, k, "cT", args.cT, [B, H]) : dummyBuffer(gpu);
  const flags = (args.hT ? 1 : 0) | (args.cT ? 2 : 0);
  const gStep = createStorageBuffer(gpu, B * 4 * H * 4, "lstm gStep");
  const hmStep = createStorageBuffer(gpu, B * H * 4, "lstm hmStep");
  const cacheAll = cache.buffer;

  const plan: Dispatch[] = [];
  plan.push(
    ...await recordLinearForward(gpu, {
      x,
      w: params.wIh,
      b: params.b,
      y: cache.gates,
      batch: T * B,
      inFeatures: I,
      outFeatures: 4 * H,
    }),
  );
  plan.push(
    await recordLstmKernel(gpu, "forward_start", B * H, [
      lstmUniform(gpu, "lstm.forward_start", cache, 0, 0),
      h0,
      c0,
      starts,
      cacheAll,
      hmStep,
    ]),
  );
  for (let t = 0; t < T; t++) {
    plan.push(
      ...await recordMatmul(gpu, {
        a: hmStep,
        b: params.wHh,
        c: gStep,
        m: B,
        n: 4 * H,
        k: H,
        transB: true,
      }),
    );
    plan.push(
      await recordLstmKernel(gpu, "forward_step", B * H, [
        lstmUniform(gpu, "lstm.forward_step", cache, t, flags),
        gStep,
        cacheAll,
        hs,
        hmStep,
        starts,
        hT,
        cT,
      ]),
    );
  }
  return plan;
}

/**
 * Records the backward over a T-step sequence after {@link recordLstmSequenceForward}: dx
 * (overwritten), the weight gradients (added to), and the optional dh0, dc0, d-gates.
 */
export async function recordLstmSequenceBackward(
  gpu: Gpu,
  args: LstmSequenceBackwardGpuArgs,
): Promise<Dispatch[]> {
  const k = "lstm.sequenceBackward";
  const { params, grads, T, B, I, H, cache } = args;
  checkLstmDims(k, T, B, I, H);
  checkGpuParams(gpu, k, params, I, H, ["wIh", "wHh", "b"]);
  checkGpuParams(gpu, k, grads, I, H, ["dwIh", "dwHh", "db"]);
  checkGpuCache(k, cache, T, B, H);
  const x = bindTensor(gpu, k, "x", args.x, [T, B, I]);
  const starts = bindTensor(gpu, k, "starts", args.starts, [T, B]);
  const dhs = bindTensor(gpu, k, "dhs", args.dhs, [T, B, H]);
  const dx = bindTensor(gpu, k, "dx", args.dx, [T, B, I]);
  const opt = (name: "dhT" | "dcT" | "dh0" | "dc0") => {
    const r = args[name];
    return r ? bindTensor(gpu, k, name, r, [B, H]) : dummyBuffer(gpu);
  };
  const dhT = opt("dhT");
  const dcT = opt("dcT");
  const dh0 = opt("dh0");
  const dc0 = opt("dc0");
  const dG = args.dGates
    ? bindTensor(gpu, k, "dGates", args.dGates, [T, B, 4 * H])
    : createStorageBuffer(gpu, T * B * 4 * H * 4, "lstm dGates");
  const dgStep = createStorageBuffer(gpu, B * 4 * H * 4, "lstm dgStep");
  const dhCarry = createStorageBuffer(gpu, B * H * 4, "lstm dhCarry");
  const dcCarry = createStorageBuffer(gpu, B * H * 4, "lstm dcCarry");
  const wantState = Boolean(args.dh0 || args.dc0);

  const plan: Dispatch[] = [];
  plan.push(
    await recordLstmKernel(gpu, "backward_start", B * H, [
      lstmUniform(gpu, "lstm.backward_start", cache, 0, (args.dhT ? 1 : 0) | (args.dcT ? 2 : 0)),
      dhT,
      dcT,
      dhCarry,
      dcCarry,
    ]),
  );
  for (let t = T - 1; t >= 0; t--) {
    plan.push(
      await recordLstmKernel(gpu, "backward_step", B * H, [
        lstmUniform(gpu, "lstm.backward_step", cache, t, 0),
        cache.buffer,
        starts,
        dhs,
        dhCarry,
        dcCarry,
        dG,
        dgStep,
      ]),
    );
    if (t > 0 || wantState) {
      plan.push(
        ...await recordMatmul(gpu, { a: dgStep, b: params.wHh, c: dhCarry, m: B, n: H, k: 4 * H }),
      );
    }
  }
  const rows = { x, w: params.wIh, dy: dG, batch: T * B, inFeatures: I, outFeatures: 4 * H };
  plan.push(...await recordLinearBackward(gpu, { ...rows, dx }));
  plan.push(
    ...await recordLinearBackward(gpu, { ...rows, dw: grads.dwIh, db: grads.db, accumulate: true }),
  );
  plan.push(
    ...await recordMatmul(gpu, {
      a: dG,
      b: cache.hm,
      c: grads.dwHh,
      m: 4 * H,
      n: H,
      k: T * B,
      transA: true,
      accumulate: true,
    }),
  );
  if (wantState) {
    plan.push(
      await recordLstmKernel(gpu, "backward_finish", B * H, [
        lstmUniform(gpu, "lstm.backward_finish", cache, 0, (args.dh0 ? 1 : 0) | (args.dc0 ? 2 : 0)),
        starts,
        dhCarry,
        dcCarry,
        dh0,
        dc0,
      ]),
    );
  }
  return plan;
}

/** Arguments of {@link recordLstmCellForward}. */
export interface LstmCellForwardGpuArgs {
  /** Weights. */
  readonly params: LstmGpuParams;
  /** Input, [B, I]. */
  readonly x: BufferRange;
  /** Reset flags, u32 [B]; no reset when absent. */
  readonly starts?: BufferRange;
  /** Incoming hidden state, [B, H]. */
  readonly hPrev: BufferRange;
  /** Incoming cell state, [B, H]. */
  readonly cPrev: BufferRange;
  /** Batch. */
  readonly B: number;
  /** Input features. */
  readonly I: number;
  /** Hidden size. */
  readonly H: number;
  /** Cache made for T = 1. */
  readonly cache: LstmGpuCache;
  /** Output h', [B, H]. */
  readonly h: BufferRange;
  /** Output c', [B, H]. */
  readonly c: BufferRange;
}

/** Arguments of {@link recordLstmCellBackward}. */
export interface LstmCellBackwardGpuArgs {
  /** Weights. */
  readonly params: LstmGpuParams;
  /** The forward's input, [B, I]. */
  readonly x: BufferRange;
  /** The forward's reset flags, u32 [B]; no reset when absent. */
  readonly starts?: BufferRange;
  /** The cache the forward filled (T = 1). */
  readonly cache: LstmGpuCache;
  /** d loss / d h', [B, H]. */
  readonly dhNext: BufferRange;
  /** d loss / d c', [B, H]; 0 when absent. */
  readonly dcNext?: BufferRange;
  /** Batch. */
  readonly B: number;
  /** Input features. */
  readonly I: number;
  /** Hidden size. */
  readonly H: number;
  /** Weight gradients, added to. */
  readonly grads: LstmGpuGrads;
  /** Output d loss / d x, [B, I]. */
  readonly dx: BufferRange;
  /** Output d loss / d hPrev, [B, H]. */
  readonly dh?: BufferRange;
  /** Output d loss / d cPrev, [B, H]. */
  readonly dc?: BufferRange;
  /** Output d loss / d gate pre-activations, [B, 4H]. */
  readonly dGates?: BufferRange;
}

function zeroStarts(gpu: Gpu, B: number): GPUBuffer {
  return createStorageBuffer(gpu, B * 4, "lstm no resets");
}

/** Records one LSTM step over a batch (the sequence forward with T = 1). */
export async function recordLstmCellForward(
  gpu: Gpu,
  args: LstmCellForwardGpuArgs,
): Promise<Dispatch[]> {
  const k = "lstm.cellForward";
  checkLstmDims(k, 1, args.B, args.I, args.H);
  bindTensor(gpu, k, "x", args.x, [args.B, args.I]);
  if (args.starts) bindTensor(gpu, k, "starts", args.starts, [args.B]);
  bindTensor(gpu, k, "h", args.h, [args.B, args.H]);
  bindTensor(gpu, k, "c", args.c, [args.B, args.H]);
  return await recordLstmSequenceForward(gpu, {
    params: args.params,
    x: args.x,
    starts: args.starts ?? zeroStarts(gpu, args.B),
    h0: args.hPrev,
    c0: args.cPrev,
    T: 1,
    B: args.B,
    I: args.I,
    H: args.H,
    cache: args.cache,
    hs: args.h,
    cT: args.c,
  });
}

/**
 * Records the backward of one LSTM step: from dh', dc' writes dx, the optional dh, dc and
 * d-gates, and adds the weight gradients (the sequence backward with T = 1).
 */
export async function recordLstmCellBackward(
  gpu: Gpu,
  args: LstmCellBackwardGpuArgs,
): Promise<Dispatch[]> {
  const k = "lstm.cellBackward";
  checkLstmDims(k, 1, args.B, args.I, args.H);
  bindTensor(gpu, k, "x", args.x, [args.B, args.I]);
  if (args.starts) bindTensor(gpu, k, "starts", args.starts, [args.B]);
  bindTensor(gpu, k, "dhNext", args.dhNext, [args.B, args.H]);
  if (args.dcNext) bindTensor(gpu, k, "dcNext", args.dcNext, [args.B, args.H]);
  return await recordLstmSequenceBackward(gpu, {
    params: args.params,
    x: args.x,
    starts: args.starts ?? zeroStarts(gpu, args.B),
    cache: args.cache,
    dhs: args.dhNext,
    T: 1,
    B: args.B,
    I: args.I,
    H: args.H,
    grads: args.grads,
    dx: args.dx,
    dcT: args.dcNext,
    dh0: args.dh,
    dc0: args.dc,
    dGates: args.dGates,
  });
}
