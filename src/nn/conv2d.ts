/**
 * 2-D convolution (NCHW, zero padding), forward and backward: the TypeScript twin and CPU
 * backend. Weights as PyTorch: w [outChannels, inChannels, kernelH, kernelW], b [outChannels].
 * A `Uint8Array` input holds pixels read as value/255 (the first layer reads u8 frames).
 *
 * Both forms compute the convolution as GEMMs over the input patches of each sample, the
 * matrix `cols` [C·KH·KW, OH·OW] that {@link im2col} writes (one column per output pixel):
 * y_b = w·cols, dw += dy_b·colsᵀ, and dcols = wᵀ·dy_b scattered back onto dx. The twin builds
 * `cols` and calls the CPU matmul; the GPU kernels (`shaders/conv2d.wgsl`, recorded by
 * `conv2d_gpu.ts`) read the same patches in place (implicit GEMM): `forward` per output pixel;
 * `dgrad` (dx) gathers, for each input pixel, the output positions that touch it, where the
 * twin scatters; `wgrad` + `wgradReduce` (dw, db) sum over (b, oh, ow) in chunks.
 *
 * @module
 */

import { matmul, type MatmulFn } from "./linear.ts";
import { checkPositiveInt, checkShape, type Floats } from "./types.ts";

/** The sizes of a convolution over a batch. */
export interface Conv2dShape {
  /** Samples B. */
  batch: number;
  /** Input channels C. */
  inChannels: number;
  /** Input height. */
  inHeight: number;
  /** Input width. */
  inWidth: number;
  /** Output channels O. */
  outChannels: number;
  /** Kernel height. */
  kernelH: number;
  /** Kernel width. */
  kernelW: number;
  /** Stride (both directions). */
  stride: number;
  /** Zero padding on every side. */
  padding: number;
}

/** Output height and width: floor((in + 2p − k)/s) + 1; throws naming the field when < 1. */
export function conv2dOutputSize(shape: Conv2dShape): { outHeight: number; outWidth: number } {
  checkConv2dShape(shape);
  return {
    outHeight: Math.floor((shape.inHeight + 2 * shape.padding - shape.kernelH) / shape.stride) + 1,
    outWidth: Math.floor((shape.inWidth + 2 * shape.padding - shape.kernelW) / shape.stride) + 1,
  };
}

/** Throws a RangeError naming the field unless the shape describes a valid convolution. */
export function checkConv2dShape(s: Conv2dShape): void {
  for (
    const f of [
      "batch",
      "inChannels",
      "inHeight",
      "inWidth",
      "outChannels",
      "kernelH",
      "kernelW",
      "stride",
    ] as const
  ) {
    checkPositiveInt("conv2d", f, s[f]);
  }
  if (!Number.isInteger(s.padding) || s.padding < 0) {
    throw new RangeError(`conv2d: padding must be a non-negative integer, got ${s.padding}`);
  }
  if (s.kernelH > s.inHeight + 2 * s.padding || s.kernelW > s.inWidth + 2 * s.padding) {
    throw new RangeError(
      `conv2d: kernel ${s.kernelH}×${s.kernelW} is larger than the padded input ` +
        `${s.inHeight + 2 * s.padding}×${s.inWidth + 2 * s.padding}`,
    );
  }
}

function checkTensors(kernel: string, s: Conv2dShape, x: ArrayLike<number>, w: Floats, y: Floats) {
  const { outHeight, outWidth } = conv2dOutputSize(s);
  checkShape(kernel, "x", x.length, [s.batch, s.inChannels, s.inHeight, s.inWidth]);
  checkShape(kernel, "w", w.length, [s.outChannels, s.inChannels, s.kernelH, s.kernelW]);
  checkShape(kernel, "y", y.length, [s.batch, s.outChannels, outHeight, outWidth]);
  return { OH: outHeight, OW: outWidth };
}

/**
 * The output positions [lo, hi) whose input index o·S + k − P lies in [0, size): those a
 * kernel tap k reaches without reading padding.
 */
function validRange(k: number, size: number, outSize: number, S: number, P: number) {
  const lo = Math.max(0, Math.ceil((P - k) / S));
  const hi = Math.min(outSize, Math.floor((size - 1 + P - k) / S) + 1);
  return { lo, hi };
}

/**
 * Walks sample b's input patches as contiguous runs: calls `visit(col, xi, count)` for each
 * row (c, kh, kw, oh) of the patch matrix, meaning cols[col + i] ↔ x[xi + i·stride] for
 * i < count. Positions that read padding are skipped (they stay 0 in cols).
 */
function forEachPatchRun(
  s: Conv2dShape,
  b: number,
  visit: (col: number, xi: number, count: number) => void,
): void {
  const { inChannels: C, inHeight: H, inWidth: W, kernelH: KH, kernelW: KW } = s;
  const { stride: S, padding: P } = s;
  const { outHeight: OH, outWidth: OW } = conv2dOutputSize(s);
  for (let c = 0; c < C; c++) {
    const xBase = (b * C + c) * H * W;
    for (let kh = 0; kh < KH; kh++) {
      const rows = validRange(kh, H, OH, S, P);
      for (let kw = 0; kw < KW; kw++) {
        const cols = validRange(kw, W, OW, S, P);
        const row = ((c * KH + kh) * KW + kw) * OH * OW;
        for (let oh = rows.lo; oh < rows.hi; oh++) {
          const xi = xBase + (oh * S + kh - P) * W + kw - P + cols.lo * S;
          visit(row + oh * OW + cols.lo, xi, cols.hi - cols.lo);
        }
      }
    }
  }
}

/**
 * Sample b's input patches: cols[(c·KH + kh)·KW + kw, oh·OW + ow] = scale·x[b, c, oh·S+kh−P,
 * ow·S+kw−P], 0 where that reads padding. cols: [C·KH·KW, OH·OW].
 */
export function im2col(
  s: Conv2dShape,
  x: ArrayLike<number>,
  b: number,
  scale: number,
  cols: Floats,
): void {
  const { outHeight: OH, outWidth: OW } = conv2dOutputSize(s);
  checkShape("conv2d.im2col", "cols", cols.length, [s.inChannels * s.kernelH * s.kernelW, OH * OW]);
  if (s.padding > 0) cols.fill(0);
  const S = s.stride;
  // One closure per input type, so that each inner loop reads a single array kind (V8 keeps
  // it monomorphic: about twice as fast on the u8 frames of the first layer).
  if (x instanceof Uint8Array) {
    forEachPatchRun(s, b, (col, xi, count) => {
      for (let i = 0; i < count; i++) cols[col + i] = scale * x[xi + i * S];
    });
  } else {
    forEachPatchRun(s, b, (col, xi, count) => {
      for (let i = 0; i < count; i++) cols[col + i] = scale * x[xi + i * S];
    });
  }
}

/** The inverse scatter of {@link im2col}: dx[b, c, ih, iw] += every dcols entry read from it. */
function col2imAdd(s: Conv2dShape, dcols: Floats, b: number, dx: Floats): void {
  const S = s.stride;
  forEachPatchRun(s, b, (col, xi, count) => {
    for (let i = 0; i < count; i++) dx[xi + i * S] += dcols[col + i];
  });
}

/** Float32 scratch of this isolate: [patches, patch gradients], grown to the largest seen. */
const scratch32: Float32Array[] = [new Float32Array(0), new Float32Array(0)];

/**
 * A scratch matrix of `n` numbers in the precision of `like`: float32 ones reuse slot `slot`
 * (0: cols, 1: dcols), so training allocates nothing per call; float64 ones (the gradient
 * checks) are fresh.
 */
function scratch(like: Floats, n: number, slot: 0 | 1): Floats {
  if (like instanceof Float64Array) return new Float64Array(n);
  if (scratch32[slot].length < n) scratch32[slot] = new Float32Array(n);
  return scratch32[slot].subarray(0, n);
}

/**
 * y[b,o,oh,ow] = bias[o] + Σ_{c,kh,kw} w[o,c,kh,kw]·x[b,c,oh·s+kh−p, ow·s+kw−p]
 * (x outside the input reads 0; u8 x reads value/255). Per sample: y_b [O, OH·OW] =
 * w [O, C·KH·KW] · cols [C·KH·KW, OH·OW] (see {@link im2col}), computed by `args.matmul`
 * (default the twin {@link matmul}).
 */
export function conv2dForward(s: Conv2dShape, args: Conv2dForwardArgs): void {
  const { x, w, b: bias, y } = args;
  const mm = args.matmul ?? matmul;
  const { OH, OW } = checkTensors("conv2d.forward", s, x, w, y);
  const { batch: B, inChannels: C, outChannels: O, kernelH: KH, kernelW: KW } = s;
  const K = C * KH * KW;
  const plane = OH * OW;
  const cols = scratch(w, K * plane, 0);
  const xs = x instanceof Uint8Array ? 1 / 255 : 1;
  for (let b = 0; b < B; b++) {
    im2col(s, x, b, xs, cols);
    const yb = y.subarray(b * O * plane, (b + 1) * O * plane);
    mm({ a: w, b: cols, c: yb, m: O, n: plane, k: K });
    if (bias) {
      for (let o = 0; o < O; o++) {
        for (let i = o * plane; i < (o + 1) * plane; i++) yb[i] += bias[o];
      }
    }
  }
}

/** Arguments of {@link conv2dForward} (the GPU recorder's `Conv2dForwardGpuArgs` by the same names). */
export interface Conv2dForwardArgs {
  /** Input [B, C, H, W] (u8 pixels read as value/255). */
  x: Floats | Uint8Array;
  /** Weights [O, C, KH, KW]. */
  w: Floats;
  /** Bias [O]; none when null/undefined. */
  b?: Floats | null;
  /** Output [B, O, OH, OW], overwritten. */
  y: Floats;
  /** The matrix product to use (default the twin {@link matmul}). */
  matmul?: MatmulFn;
}

/** Arguments of {@link conv2dBackward}. */
export interface Conv2dBackwardArgs {
  /** Forward input [B, C, H, W] (u8 pixels read as value/255). */
  x: Floats | Uint8Array;
  /** Weights [O, C, KH, KW]. */
  w: Floats;
  /** Gradient w.r.t. the output [B, O, OH, OW]. */
  dy: Floats;
  /** Gradient w.r.t. x [B, C, H, W] (float x only); skipped when null/undefined. */
  dx?: Floats | null;
  /** Gradient w.r.t. w; skipped when null/undefined. */
  dw?: Floats | null;
  /** Gradient w.r.t. the bias [O]; skipped when null/undefined. */
  db?: Floats | null;
  /** Add into dx, dw, db instead of overwriting. */
  accumulate?: boolean;
  /** The matrix product to use (default the twin {@link matmul}). */
  matmul?: MatmulFn;
}

/** Gradients of {@link conv2dForward} with respect to x, w and the bias. */
export function conv2dBackward(s: Conv2dShape, args: Conv2dBackwardArgs): void {
  const { x, w, dy, dx, dw, db, accumulate = false } = args;
  const mm = args.matmul ?? matmul;
  const { OH, OW } = checkTensors("conv2d.backward", s, x, w, dy);
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, outChannels: O } = s;
  const { kernelH: KH, kernelW: KW } = s;
  if (dx) {
    if (x instanceof Uint8Array) throw new RangeError("conv2d.backward: dx needs a float input");
    checkShape("conv2d.backward", "dx", dx.length, [B, C, H, W]);
    if (!accumulate) dx.fill(0);
  }
  if (dw) {
    checkShape("conv2d.backward", "dw", dw.length, [O, C, KH, KW]);
    if (!accumulate) dw.fill(0);
  }
  if (db) {
    checkShape("conv2d.backward", "db", db.length, [O]);
    if (!accumulate) db.fill(0);
  }
  // Per sample: db += row sums of dy_b; dw += dy_b · colsᵀ; dcols = wᵀ · dy_b, scattered onto dx.
  const K = C * KH * KW;
  const plane = OH * OW;
  const cols = dw ? scratch(w, K * plane, 0) : null;
  const dcols = dx ? scratch(w, K * plane, 1) : null;
  const xs = x instanceof Uint8Array ? 1 / 255 : 1;
  for (let b = 0; b < B; b++) {
    const dyb = dy.subarray(b * O * plane, (b + 1) * O * plane);
    if (db) {
      for (let o = 0; o < O; o++) {
        let sum = 0;
        for (let i = o * plane; i < (o + 1) * plane; i++) sum += dyb[i];
        db[o] += sum;
      }
    }
    if (dw) {
      im2col(s, x, b, xs, cols!);
      mm({ a: dyb, b: cols!, c: dw, m: O, n: K, k: plane, transB: true, accumulate: true });
    }
    if (dx) {
      mm({ a: w, b: dyb, c: dcols!, m: K, n: plane, k: O, transA: true });
      col2imAdd(s, dcols!, b, dx);
    }
  }
}
