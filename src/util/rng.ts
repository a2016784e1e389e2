/**
 * Counter-based random numbers, the bit-exact twin of `shaders/rng.wgsl`, plus a small seeded
 * sequential generator for initialisation and tests.
 *
 * @module
 */

/** PCG-RXS-M-XS hash of one 32-bit word; identical to `pcg_hash` in `shaders/rng.wgsl`. */
export function pcgHash(x: number): number {
  const state = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** A random u32 for (seed, stream, counter); identical to `rand_u32` in WGSL. */
export function randU32(seed: number, stream: number, counter: number): number {
  return pcgHash((counter ^ pcgHash((stream ^ pcgHash(seed)) >>> 0)) >>> 0);
}

/** A uniform number in [0, 1) with 24 random bits; identical to `rand_unit` in WGSL. */
export function randUnit(seed: number, stream: number, counter: number): number {
  return (randU32(seed, stream, counter) >>> 8) * (1 / 16777216);
}

/** A sequential seeded generator (a counter over {@link randU32}) for init and tests. */
export interface Rng {
  /** Next uniform u32. */
  u32(): number;
  /** Next uniform number in [0, 1). */
  unit(): number;
  /** Next uniform number in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Next standard normal (Box-Muller). */
  normal(): number;
  /** Next integer in [0, n). */
  int(n: number): number;
}

/** Creates a sequential generator for `seed` (stream selects independent sequences). */
export function makeRng(seed: number, stream = 0): Rng {
  let counter = 0;
  const unit = () => randUnit(seed >>> 0, stream >>> 0, counter++);
  return {
    u32: () => randU32(seed >>> 0, stream >>> 0, counter++),
    unit,
    uniform: (lo, hi) => lo + (hi - lo) * unit(),
    normal: () => {
      const u1 = 1 - unit();
      const u2 = unit();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
    int: (n) => Math.floor(unit() * n),
  };
}
