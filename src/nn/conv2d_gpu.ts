/**
 * Records the 2-D convolution kernels of `shaders/conv2d.wgsl` (twin: `conv2d.ts`).
 *
 * Layout NCHW, weights `[outChannels, inChannels, kernelH, kernelW]` as PyTorch. Each of
 * forward, input gradient and weight gradient is an implicit GEMM with workgroup-memory tiles
 * (see the shader's header). Sizes are pipeline constants: a plan's shapes are fixed, so each
 * layer shape compiles its own pipelines once per device.
 *
 * A {@link BufferRange} may start at a byte offset (parameters live in one flat buffer); the
 * offset must be a multiple of the device's `minStorageBufferOffsetAlignment` (256 bytes:
 * tensor offsets of 64 floats qualify). With `inputU8`, x holds u8 pixels packed four to a
 * u32 (little-endian), read as value/255; its flat size must be a multiple of 4.
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
import { shaderConstU32 } from "../gpu/pipelines.ts";
import { type Dispatch, grid1d, makeDispatch, makeDispatch1d } from "../gpu/plan.ts";
import { checkConv2dShape, conv2dOutputSize, type Conv2dShape } from "./conv2d.ts";

/** Threads per workgroup of every conv2d kernel (the shader's WG). */
const WG = 256;
/** Reduction step of the GEMM tiles (rows of the weight-gradient reduction per step; the shader's BK). */
const BK = shaderConstU32("conv2d", "BK");
/** Workgroups the weight-gradient pass aims for (tiles × chunks) to fill a large GPU. */
const WGRAD_TARGET_WORKGROUPS = 1024;
/** Smallest chunk of the weight-gradient reduction, in rows (b, oh, ow). */
const WGRAD_MIN_CHUNK = 64;

/** Arguments of {@link recordConv2dForward}. */
export interface Conv2dForwardGpuArgs {
  /** Input `[batch, inChannels, inHeight, inWidth]`: f32, or u8 packed 4 a u32 when inputU8. */
  x: BufferRange;
  /** Weights `[outChannels, inChannels, kernelH, kernelW]`. */
  w: BufferRange;
  /** Bias `[outChannels]`; none when absent. */
  b?: BufferRange;
  /** Output `[batch, outChannels, outHeight, outWidth]`, overwritten. Must not overlap x, w, b. */
  y: BufferRange;
  /** x holds u8 pixels read as value/255. Default false. */
  inputU8?: boolean;
}

/** Arguments of {@link recordConv2dBackward}. */
export interface Conv2dBackwardGpuArgs {
  /** Forward input `[batch, inChannels, inHeight, inWidth]`: f32, or packed u8 when inputU8. */
  x: BufferRange;
  /** Weights `[outChannels, inChannels, kernelH, kernelW]`. */
  w: BufferRange;
  /** Gradient with respect to y, `[batch, outChannels, outHeight, outWidth]`. */
  dy: BufferRange;
  /** Gradient with respect to x, `[batch, inChannels, inHeight, inWidth]` (f32 x only). */
  dx?: BufferRange;
  /** Gradient with respect to w, `[outChannels, inChannels, kernelH, kernelW]`. */
  dw?: BufferRange;
  /** Gradient with respect to the bias, `[outChannels]`. */
  db?: BufferRange;
  /** x holds u8 pixels read as value/255. Default false. */
  inputU8?: boolean;
  /** Add into dx, dw, db instead of overwriting them. Default false. */
  accumulate?: boolean;
  /**
   * Rows (b, oh, ow) of the weight-gradient reduction per workgroup, rounded up to a
   * multiple of 8; by default chosen so that about 1024 workgroups share the work (tests
   * and benchmarks set it).
   */
  reductionChunk?: number;
}

/** Threads along the rows of a GEMM tile (4 rows each) for `rows` rows: tiles of 16, 32 or 64. */
function rowThreads(rows: number): number {
  return rows <= 16 ? 4 : rows <= 32 ? 8 : 16;
}

/** The uniform `Params` of the shader (flags; sizes for `wgradReduce`). */
function params(
  gpu: Gpu,
  label: string,
  f: {
    inputU8: boolean;
    accumulate: boolean;
    o?: number;
    k?: number;
    chunks?: number;
    bias?: boolean;
  },
): GPUBuffer {
  const bytes = new ParamWriter().u32(f.inputU8 ? 1 : 0).u32(f.accumulate ? 1 : 0).u32(f.o ?? 0)
    .u32(f.k ?? 0).u32(f.chunks ?? 0).u32(f.bias ? 1 : 0).bytes();
  return createUniformBuffer(gpu, bytes, label);
}

/** The pipeline constants shared by the GEMM entry points: the sizes and WG. */
function sizeConstants(s: Conv2dShape): Record<string, number> {
  const { outHeight: OH, outWidth: OW } = conv2dOutputSize(s);
  const { inHeight: H, inWidth: W, kernelH: KH, kernelW: KW, stride: S } = s;
  return {
    WG,
    BATCH: s.batch,
    C: s.inChannels,
    H,
    W,
    O: s.outChannels,
    KH,
    KW,
    S,
    P: s.padding,
    OH,
    OW,
    HW: H * W,
    OHW: OH * OW,
    KHW: KH * KW,
    K: s.inChannels * KH * KW,
    HQ: Math.ceil(H / S),
    WQ: Math.ceil(W / S),
    JH: Math.ceil(KH / S),
    JW: Math.ceil(KW / S),
  };
}

/** Throws unless every index a kernel computes fits a u32. */
function checkIndexRange(kernel: string, s: Conv2dShape): void {
  const { outHeight, outWidth } = conv2dOutputSize(s);
  const biggest = Math.max(
    s.batch * s.inChannels * s.inHeight * s.inWidth,
    s.batch * s.outChannels * outHeight * outWidth,
  );
  if (biggest >= 2 ** 32) {
    throw new RangeError(`${kernel}: tensors of ${biggest} elements exceed u32 indexing`);
  }
}

/**
 * Records y = conv2d(x, w) + b: one dispatch, an implicit GEMM [outChannels] ×
 * [batch·outHeight·outWidth] over inChannels·kernelH·kernelW.
 */
export async function recordConv2dForward(
  gpu: Gpu,
  shape: Conv2dShape,
  args: Conv2dForwardGpuArgs,
): Promise<Dispatch[]> {
  const kernel = "conv2d.forward";
  checkConv2dShape(shape);
  checkIndexRange(kernel, shape);
  const { outHeight: OH, outWidth: OW } = conv2dOutputSize(shape);
  const s = shape;
  const u8 = args.inputU8 ?? false;
  const x = bindTensor(
    gpu,
    kernel,
    "x",
    args.x,
    [s.batch, s.inChannels, s.inHeight, s.inWidth],
    u8 ? "u8" : "f32",
  );
  const w = bindTensor(gpu, kernel, "w", args.w, [
    s.outChannels,
    s.inChannels,
    s.kernelH,
    s.kernelW,
  ]);
  const b = args.b ? bindTensor(gpu, kernel, "b", args.b, [s.outChannels]) : undefined;
  const y = bindTensor(gpu, kernel, "y", args.y, [s.batch, s.outChannels, OH, OW]);
  const MT = rowThreads(s.outChannels);
  const bn = 4 * (WG / MT);
  const [gx, gy] = grid1d(s.batch * OH * OW, bn);
  const d = await makeDispatch(
    gpu,
    "conv2d",
    "forward",
    [params(gpu, kernel, { inputU8: u8, accumulate: false }), x, w, b ?? dummyBuffer(gpu), y],
    [gx, gy, Math.ceil(s.outChannels / (4 * MT))],
    { ...sizeConstants(s), MT, HAS_BIAS: b ? 1 : 0 },
  );
  return [d];
}

/**
 * Records the gradients of {@link recordConv2dForward} for the outputs given:
 * - dx: one dispatch, the transposed convolution in gather form, one GEMM per stride phase;
 * - dw and db: one dispatch of partial sums over chunks of the (batch, oh, ow) reduction into
 *   a scratch buffer made here ([chunks, outChannels, inChannels·kernelH·kernelW + 1], the
 *   last column the bias gradient), then one small reduction dispatch for each of dw and db.
 */
export async function recordConv2dBackward(
  gpu: Gpu,
  shape: Conv2dShape,
  args: Conv2dBackwardGpuArgs,
): Promise<Dispatch[]> {
  const kernel = "conv2d.backward";
  checkConv2dShape(shape);
  checkIndexRange(kernel, shape);
  const { outHeight: OH, outWidth: OW } = conv2dOutputSize(shape);
  const s = shape;
  const u8 = args.inputU8 ?? false;
  const accumulate = args.accumulate ?? false;
  const xShape = [s.batch, s.inChannels, s.inHeight, s.inWidth];
  const wShape = [s.outChannels, s.inChannels, s.kernelH, s.kernelW];
  const x = bindTensor(gpu, kernel, "x", args.x, xShape, u8 ? "u8" : "f32");
  const w = bindTensor(gpu, kernel, "w", args.w, wShape);
  const dy = bindTensor(gpu, kernel, "dy", args.dy, [s.batch, s.outChannels, OH, OW]);
  if (args.dx && u8) {
    throw new RangeError(`${kernel}: dx needs a float input (x is u8 pixels)`);
  }
  const dx = args.dx ? bindTensor(gpu, kernel, "dx", args.dx, xShape) : undefined;
  const dw = args.dw ? bindTensor(gpu, kernel, "dw", args.dw, wShape) : undefined;
  const db = args.db ? bindTensor(gpu, kernel, "db", args.db, [s.outChannels]) : undefined;
  if (args.reductionChunk !== undefined) {
    if (!Number.isInteger(args.reductionChunk) || args.reductionChunk < 1) {
      throw new RangeError(
        `${kernel}: reductionChunk must be a positive integer, got ${args.reductionChunk}`,
      );
    }
  }
  const base = sizeConstants(s);
  const flags = params(gpu, kernel, { inputU8: u8, accumulate });
  const out: Dispatch[] = [];
  if (dx) {
    const MT = rowThreads(s.inChannels);
    const bn = 4 * (WG / MT);
    const cols = s.batch * base.HQ * base.WQ;
    const [gx, gy] = grid1d(cols, bn);
    const gz = s.stride * s.stride * Math.ceil(s.inChannels / (4 * MT));
    out.push(
      await makeDispatch(gpu, "conv2d", "dgrad", [
        flags,
        undefined,
        w,
        undefined,
        undefined,
        dy,
        dx,
      ], [
        gx,
        gy,
        gz,
      ], { ...base, MT }),
    );
  }
  if (dw || db) {
    const K = base.K;
    const rows = s.batch * OH * OW;
    const MT = rowThreads(s.outChannels);
    const bn = 4 * (WG / MT);
    const tiles = Math.ceil(K / bn) * Math.ceil(s.outChannels / (4 * MT));
    let chunk = args.reductionChunk ??
      Math.max(WGRAD_MIN_CHUNK, Math.ceil(rows / Math.ceil(WGRAD_TARGET_WORKGROUPS / tiles)));
    chunk = Math.ceil(chunk / BK) * BK;
    const chunks = Math.ceil(rows / chunk);
    if (chunks > gpu.limits.maxComputeWorkgroupsPerDimension) {
      chunk = Math.ceil(rows / gpu.limits.maxComputeWorkgroupsPerDimension / BK) * BK;
    }
    const nChunks = Math.ceil(rows / chunk);
    const part = createStorageBuffer(
      gpu,
      nChunks * s.outChannels * (K + 1) * 4,
      `${kernel} weight-gradient partial sums`,
    );
    const consts = { ...base, MT, CHUNK: chunk };
    out.push(
      await makeDispatch(gpu, "conv2d", "wgrad", [
        flags,
        x,
        undefined,
        undefined,
        undefined,
        dy,
        undefined,
        part,
      ], [
        Math.ceil(K / bn),
        Math.ceil(s.outChannels / (4 * MT)),
        nChunks,
      ], consts),
    );
    const reduce = (target: BufferRange, bias: boolean, n: number) =>
      makeDispatch1d(gpu, {
        shader: "conv2d",
        entryPoint: "wgradReduce",
        buffers: [
          params(gpu, `${kernel} reduce`, {
            inputU8: u8,
            accumulate,
            o: s.outChannels,
            k: K,
            chunks: nChunks,
            bias,
          }),
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          part,
          target,
        ],
        n,
        wg: WG,
      });
    if (dw) out.push(await reduce(dw, false, s.outChannels * K));
    if (db) out.push(await reduce(db, true, s.outChannels));
  }
  return out;
}
