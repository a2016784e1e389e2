/**
 * 2-D convolution (NCHW, zero padding), forward and backward: the TypeScript twin and CPU
 * backend. Weights as PyTorch: w [outChannels, inChannels, kernelH, kernelW], b [outChannels].
 * A `Uint8Array` input holds pixels read as value/255 (the first layer reads u8 frames).
 *
 * The GPU kernels (`shaders/conv2d.wgsl`, recorded by `conv2d_gpu.ts`) compute the same sums
 * as implicit GEMMs: `forward` is the loop of {@link conv2dForward}; `dgrad` (dx) gathers,
 * for each input pixel, the output positions that touch it, where the twin scatters;
 * `wgrad` + `wgradReduce` (dw, db) sum over (b, oh, ow) in chunks.
 *
 * @module
 */

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
 * y[b,o,oh,ow] = bias[o] + Σ_{c,kh,kw} w[o,c,kh,kw]·x[b,c,oh·s+kh−p, ow·s+kw−p]
 * (x outside the input reads 0; u8 x reads value/255).
 */
export function conv2dForward(
  s: Conv2dShape,
  x: Floats | Uint8Array,
  w: Floats,
  bias: Floats | null,
  y: Floats,
): void {
  const { OH, OW } = checkTensors("conv2d.forward", s, x, w, y);
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, outChannels: O } = s;
  const { kernelH: KH, kernelW: KW, stride: S, padding: P } = s;
  const xs = x instanceof Uint8Array ? 1 / 255 : 1;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      const yBase = (b * O + o) * OH * OW;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let sum = 0;
          for (let c = 0; c < C; c++) {
            const xBase = (b * C + c) * H * W;
            const wBase = (o * C + c) * KH * KW;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * S + kh - P;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * S + kw - P;
                if (iw < 0 || iw >= W) continue;
                sum += w[wBase + kh * KW + kw] * x[xBase + ih * W + iw];
              }
            }
          }
          y[yBase + oh * OW + ow] = sum * xs + (bias ? bias[o] : 0);
        }
      }
    }
  }
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
}

/** Gradients of {@link conv2dForward} with respect to x, w and the bias. */
export function conv2dBackward(s: Conv2dShape, args: Conv2dBackwardArgs): void {
  const { x, w, dy, dx, dw, db, accumulate = false } = args;
  const { OH, OW } = checkTensors("conv2d.backward", s, x, w, dy);
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, outChannels: O } = s;
  const { kernelH: KH, kernelW: KW, stride: S, padding: P } = s;
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
  const xs = x instanceof Uint8Array ? 1 / 255 : 1;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      const yBase = (b * O + o) * OH * OW;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const g = dy[yBase + oh * OW + ow];
          if (db) db[o] += g;
          if (g === 0) continue;
          for (let c = 0; c < C; c++) {
            const xBase = (b * C + c) * H * W;
            const wBase = (o * C + c) * KH * KW;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * S + kh - P;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * S + kw - P;
                if (iw < 0 || iw >= W) continue;
                if (dw) dw[wBase + kh * KW + kw] += g * x[xBase + ih * W + iw] * xs;
                if (dx) dx[xBase + ih * W + iw] += g * w[wBase + kh * KW + kw];
              }
            }
          }
        }
      }
    }
  }
}
