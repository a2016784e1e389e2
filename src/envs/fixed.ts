/**
 * Q16.16 fixed-point arithmetic for env physics: the bit-exact twin of the helpers in
 * `shaders/envs/common.wgsl` (same names in snake_case there). A real r is held as the i32
 * `round(r · 65536)`; every operation is integer arithmetic wrapping mod 2^32, so the GPU
 * and the CPU agree bit for bit. Conversion to f32 ({@link fxToF32}) is exact by
 * construction.
 *
 * Accuracy: {@link fxMul} floors (error < 2^-16), {@link fxDiv} truncates, {@link fxSin} and
 * {@link fxCos} are within about 6e-5 of the true values.
 *
 * @module
 */

import { randU32 } from "../util/rng.ts";

/** 1.0 in Q16.16. */
export const FX_ONE = 65536;
/** π in Q16.16 (round(π · 2^16)). */
export const FX_PI = 205887;
/** 2π in Q16.16. */
export const FX_TWO_PI = 411775;
/** π/2 in Q16.16. */
export const FX_HALF_PI = 102944;

/** The Q16.16 value nearest to the real `r` (for constants; not used in stepped physics). */
export function fx(r: number): number {
  return Math.round(r * FX_ONE) | 0;
}

/** floor(a · b / 2^16), exactly, from four 16-bit partial products (wraps mod 2^32). */
export function fxMul(a: number, b: number): number {
  const ah = a >> 16;
  const al = a & 0xffff;
  const bh = b >> 16;
  const bl = b & 0xffff;
  const low = Math.imul(al, bl) >>> 16;
  return (Math.imul(Math.imul(ah, bh), 65536) + Math.imul(ah, bl) + Math.imul(al, bh) + low) |
    0;
}

/** a · 2^16 / b truncated toward zero, by long division in four 4-bit digits (|b| < 2^27). */
export function fxDiv(a: number, b: number): number {
  const neg = (a < 0) !== (b < 0);
  const n = Math.abs(a) >>> 0;
  const d = Math.abs(b) >>> 0;
  let q = Math.floor(n / d) >>> 0;
  let r = n % d;
  for (let k = 0; k < 4; k++) {
    r = (r << 4) >>> 0;
    q = ((q << 4) + Math.floor(r / d)) >>> 0;
    r = r % d;
  }
  return neg ? -q | 0 : q | 0;
}

/** Integer division truncated toward zero, as WGSL's i32 `/` (b ≠ 0). */
export function idiv(a: number, b: number): number {
  return Math.trunc(a / b) | 0;
}

/**
 * The angle `x` (Q16.16 radians) wrapped into [−π, π) (exactly [−FX_PI, FX_TWO_PI − FX_PI)).
 * Only non-negative operands reach `%`, as in the WGSL.
 */
export function fxWrapAngle(x: number): number {
  const y = (x + FX_PI) | 0;
  let m: number;
  if (y < 0) {
    m = FX_TWO_PI - 1 - ((-y - 1) % FX_TWO_PI);
  } else {
    m = y % FX_TWO_PI;
  }
  return m - FX_PI;
}

/** sin x for Q16.16 radians: reduce to [−π/2, π/2], then a nested Taylor polynomial. */
export function fxSin(x: number): number {
  let y = fxWrapAngle(x);
  if (y > FX_HALF_PI) y = FX_PI - y;
  else if (y < -FX_HALF_PI) y = -FX_PI - y;
  const y2 = fxMul(y, y);
  let t = FX_ONE - idiv(y2, 72);
  t = FX_ONE - idiv(fxMul(y2, t), 42);
  t = FX_ONE - idiv(fxMul(y2, t), 20);
  t = FX_ONE - idiv(fxMul(y2, t), 6);
  return fxMul(y, t);
}

/** cos x = sin(x + π/2) for Q16.16 radians. */
export function fxCos(x: number): number {
  return fxSin(fxWrapAngle(x) + FX_HALF_PI);
}

/** A uniform Q16.16 number in [lo, hi) from the top 16 bits of the random u32 `bits`. */
export function fxUniform(bits: number, lo: number, hi: number): number {
  return (lo + fxMul(bits >>> 16, (hi - lo) | 0)) | 0;
}

/** A uniform Q16.16 number in [lo, hi) from the top 16 bits of `randU32(seed, stream, counter)`. */
export function fxRand(
  seed: number,
  stream: number,
  counter: number,
  lo: number,
  hi: number,
): number {
  return fxUniform(randU32(seed, stream, counter), lo, hi);
}

/**
 * The f32 of a Q16.16 value, exactly: the magnitude is truncated to 24 significant bits by
 * an integer shift, then scaled by a power of two. The result is exactly representable as
 * f32, so storing it in a Float32Array does not round.
 */
export function fxToF32(v: number): number {
  const a = Math.abs(v) >>> 0;
  const k = Math.max(0, 8 - Math.clz32(a));
  const r = (a >>> k) * 2 ** (k - 16);
  return v < 0 ? -r : r;
}
