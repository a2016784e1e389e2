/**
 * Records the matmul and linear-layer kernels of `shaders/matmul.wgsl` (twin: `linear.ts`).
 *
 * Matrices are row-major f32. A {@link BufferRange} may start at a byte offset (parameters live
 * in one flat buffer); the offset must be a multiple of the device's
 * `minStorageBufferOffsetAlignment` (256 bytes: tensor offsets of 64 floats qualify). Each
 * operand is bound with exactly the bytes its shape needs, so a large flat buffer is fine as
 * long as each tensor fits one storage binding.
 *
 * Two kernels compute a product: `tiled16` (16×16 tiles, one output per thread) for small or
 * thin shapes and `tiled128` (128×128 tiles, 8×8 outputs per thread in registers) for large
 * ones; {@link chooseMatmulPath} picks one by size.
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
import { type Dispatch, makeDispatch } from "../gpu/plan.ts";
import { checkLinearShapes, checkMatmulDims } from "./linear.ts";

/** Which matmul kernel runs: `small` = `tiled16`, `big` = `tiled128`. */
export type MatmulPath = "small" | "big";

/** Arguments of {@link recordMatmul}. */
export interface MatmulGpuArgs {
  /** A: `[m, k]`, or `[k, m]` when transA. */
  a: BufferRange;
  /** B: `[k, n]`, or `[n, k]` when transB. */
  b: BufferRange;
  /** C: `[m, n]`, written (or added to when accumulate). Must not overlap A, B or bias. */
  c: BufferRange;
  /** Rows of C. */
  m: number;
  /** Columns of C. */
  n: number;
  /** Inner dimension. */
  k: number;
  /** A is stored `[k, m]`. Default false. */
  transA?: boolean;
  /** B is stored `[n, k]`. Default false. */
  transB?: boolean;
  /** C += product instead of C = product. Default false. */
  accumulate?: boolean;
  /** Bias `[n]`, added to every row of the product (before accumulation into C). */
  bias?: BufferRange;
  /** Scale of the product (not of the bias). Default 1. */
  alpha?: number;
  /** Forces a kernel (tests, benchmarks); by default {@link chooseMatmulPath} decides. */
  path?: MatmulPath;
}

/** Edge of the output tile of the big kernel (its BM = BN, written in the shader). */
export const BIG_TILE: number = shaderConstU32("matmul", "BM");
/** Edge of the output tile of the small kernel (its SMALL_TILE; SMALL_TILE² threads). */
export const SMALL_TILE = 16;
/** Columns per workgroup of the column sum (its WG; 4 row lanes each). */
const COLSUM_WG = 64;

/**
 * The kernel used for an m×n×k product: the 128×128 register-tiled kernel when both edges of
 * C are at least 64, k ≥ 16 and at least half of the work of its padded tiles is useful
 * (m·n ≥ ½·⌈m/128⌉·⌈n/128⌉·128²); otherwise the 16×16 tiled kernel (thin or odd shapes such
 * as a 4-action policy head). On llvmpipe the big kernel is ~20× faster at 256³–512³
 * (bench/matmul.ts); the crossover on a hardware GPU has not been measured yet.
 */
export function chooseMatmulPath(m: number, n: number, k: number): MatmulPath {
  if (m < 64 || n < 64 || k < 16) return "small";
  const padded = Math.ceil(m / BIG_TILE) * Math.ceil(n / BIG_TILE) * BIG_TILE * BIG_TILE;
  return 2 * m * n >= padded ? "big" : "small";
}

/**
 * Records C[m,n] = alpha·op(A)·op(B) (+ bias) (+ C when accumulate) as one dispatch of the
 * small or the big kernel. Uniforms are written at record time; replaying the plan reruns the
 * same product.
 */
export async function recordMatmul(gpu: Gpu, args: MatmulGpuArgs): Promise<Dispatch[]> {
  const { m, n, k, transA = false, transB = false, accumulate = false, alpha = 1 } = args;
  const kernel = "matmul";
  checkMatmulDims(kernel, m, n, k);
  if (args.path !== undefined && args.path !== "small" && args.path !== "big") {
    throw new RangeError(`${kernel}: path must be "small" or "big", got ${String(args.path)}`);
  }
  const a = bindTensor(
    gpu,
    kernel,
    transA ? "a (transposed)" : "a",
    args.a,
    transA ? [k, m] : [m, k],
  );
  const b = bindTensor(
    gpu,
    kernel,
    transB ? "b (transposed)" : "b",
    args.b,
    transB ? [n, k] : [k, n],
  );
  const c = bindTensor(gpu, kernel, "c", args.c, [m, n]);
  const bias = args.bias ? bindTensor(gpu, kernel, "bias", args.bias, [n]) : dummyBuffer(gpu);
  const path = args.path ?? chooseMatmulPath(m, n, k);
  const params = createUniformBuffer(
    gpu,
    new ParamWriter().u32(m).u32(n).u32(k).u32(accumulate ? 1 : 0).f32(alpha).bytes(),
    `${kernel} params`,
  );
  const tile = path === "big" ? BIG_TILE : SMALL_TILE;
  const entry = path === "big" ? "tiled128" : "tiled16";
  const d = await makeDispatch(
    gpu,
    "matmul",
    entry,
    [params, c, a, b, bias],
    [Math.ceil(n / tile), Math.ceil(m / tile)],
    {
      TRANS_A: transA ? 1 : 0,
      TRANS_B: transB ? 1 : 0,
      HAS_BIAS: args.bias ? 1 : 0,
      ...(path === "big" ? {} : { SMALL_TILE }),
    },
  );
  return [d];
}

/** Rows per chunk of the first column-sum pass. */
const COLSUM_CHUNK = 256;

/**
 * Records out[cols] = Σ_rows x[rows, cols] (+ out when accumulate): one dispatch when
 * rows ≤ 256, otherwise partial sums of 256-row chunks into a scratch buffer made here,
 * then a second dispatch summing the chunks.
 */
export async function recordColumnSum(
  gpu: Gpu,
  args: { x: BufferRange; out: BufferRange; rows: number; cols: number; accumulate?: boolean },
): Promise<Dispatch[]> {
  const kernel = "colsum";
  const { rows, cols, accumulate = false } = args;
  checkMatmulDims(kernel, rows, cols, 1);
  const x = bindTensor(gpu, kernel, "x", args.x, [rows, cols]);
  const out = bindTensor(gpu, kernel, "out", args.out, [cols]);
  const pass = (src: BufferRange, dst: BufferRange, r: number, chunk: number, acc: boolean) =>
    makeDispatch(
      gpu,
      "matmul",
      "colsum",
      [
        createUniformBuffer(
          gpu,
          new ParamWriter().u32(r).u32(cols).u32(chunk).u32(acc ? 1 : 0).f32(1).bytes(),
          `${kernel} params`,
        ),
        dst,
        src,
      ],
      [Math.ceil(cols / COLSUM_WG), Math.ceil(r / chunk)],
      { WG: COLSUM_WG },
    );
  if (rows <= COLSUM_CHUNK) return [await pass(x, out, rows, rows, accumulate)];
  const chunks = Math.ceil(rows / COLSUM_CHUNK);
  const scratch = createStorageBuffer(gpu, chunks * cols * 4, `${kernel} partial sums`);
  return [
    await pass(x, scratch, rows, COLSUM_CHUNK, false),
    await pass(scratch, out, chunks, chunks, accumulate),
  ];
}

/** Arguments of {@link recordLinearForward}. */
export interface LinearForwardGpuArgs {
  /** Input, `[batch, inFeatures]`. */
  x: BufferRange;
  /** Weights, `[outFeatures, inFeatures]`. */
  w: BufferRange;
  /** Bias, `[outFeatures]`; none when absent. */
  b?: BufferRange;
  /** Output, `[batch, outFeatures]`. */
  y: BufferRange;
  /** Rows of x and y. */
  batch: number;
  /** Columns of x. */
  inFeatures: number;
  /** Columns of y. */
  outFeatures: number;
  /** Forces a matmul kernel (tests, benchmarks). */
  path?: MatmulPath;
}

/** Records y[batch, out] = x[batch, in]·wᵀ + b (one dispatch). */
export async function recordLinearForward(
  gpu: Gpu,
  args: LinearForwardGpuArgs,
): Promise<Dispatch[]> {
  const { batch, inFeatures, outFeatures } = args;
  const kernel = "linear.forward";
  checkLinearShapes(kernel, batch, inFeatures, outFeatures, {});
  bindTensor(gpu, kernel, "x", args.x, [batch, inFeatures]);
  bindTensor(gpu, kernel, "w", args.w, [outFeatures, inFeatures]);
  if (args.b) bindTensor(gpu, kernel, "b", args.b, [outFeatures]);
  bindTensor(gpu, kernel, "y", args.y, [batch, outFeatures]);
  return await recordMatmul(gpu, {
    a: args.x,
    b: args.w,
    c: args.y,
    bias: args.b,
    m: batch,
    n: outFeatures,
    k: inFeatures,
    transB: true,
    path: args.path,
  });
}

/** Arguments of {@link recordLinearBackward}. */
export interface LinearBackwardGpuArgs {
  /** Forward input, `[batch, inFeatures]`. */
  x: BufferRange;
  /** Weights, `[outFeatures, inFeatures]`. */
  w: BufferRange;
  /** Gradient with respect to y, `[batch, outFeatures]`. */
  dy: BufferRange;
  /** Gradient with respect to x, `[batch, inFeatures]`; skipped when absent. */
  dx?: BufferRange;
  /** Gradient with respect to w, `[outFeatures, inFeatures]`; skipped when absent. */
  dw?: BufferRange;
  /** Gradient with respect to b, `[outFeatures]`; skipped when absent. */
  db?: BufferRange;
  /** Rows of x and dy. */
  batch: number;
  /** Columns of x. */
  inFeatures: number;
  /** Columns of dy. */
  outFeatures: number;
  /** Add into dx, dw, db instead of overwriting them. Default false. */
  accumulate?: boolean;
  /** Forces the matmul kernel of dx and dw (tests, benchmarks). */
  path?: MatmulPath;
}

/**
 * Records the gradients of the linear layer: dx = dy·w, dw = dyᵀ·x (one matmul each) and
 * db = Σ_batch dy (one or two column-sum dispatches), for the outputs given.
 */
export async function recordLinearBackward(
  gpu: Gpu,
  args: LinearBackwardGpuArgs,
): Promise<Dispatch[]> {
  const { batch, inFeatures, outFeatures, accumulate = false, path } = args;
  const kernel = "linear.backward";
  checkLinearShapes(kernel, batch, inFeatures, outFeatures, {});
  bindTensor(gpu, kernel, "x", args.x, [batch, inFeatures]);
  bindTensor(gpu, kernel, "w", args.w, [outFeatures, inFeatures]);
  bindTensor(gpu, kernel, "dy", args.dy, [batch, outFeatures]);
  if (args.dx) bindTensor(gpu, kernel, "dx", args.dx, [batch, inFeatures]);
  if (args.dw) bindTensor(gpu, kernel, "dw", args.dw, [outFeatures, inFeatures]);
  if (args.db) bindTensor(gpu, kernel, "db", args.db, [outFeatures]);
  const out: Dispatch[] = [];
  if (args.dx) {
    out.push(
      ...await recordMatmul(gpu, {
        a: args.dy,
        b: args.w,
        c: args.dx,
        m: batch,
        n: inFeatures,
        k: outFeatures,
        accumulate,
        path,
      }),
    );
  }
  if (args.dw) {
    out.push(
      ...await recordMatmul(gpu, {
        a: args.dy,
        b: args.x,
        c: args.dw,
        m: outFeatures,
        n: inFeatures,
        k: batch,
        transA: true,
        accumulate,
        path,
      }),
    );
  }
  if (args.db) {
    out.push(
      ...await recordColumnSum(gpu, {
        x: args.dy,
        out: args.db,
        rows: batch,
        cols: outFeatures,
        accumulate,
      }),
    );
  }
  return out;
}
