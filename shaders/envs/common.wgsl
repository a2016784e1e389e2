// Shared part of every env kernel family (see src/envs/gpu_env.ts for the whole contract).
// Declares bindings 0 (params), 3 (reward), 4 (terminated), 5 (truncated), 6 (episode ring);
// entry.wgsl declares 1 (state); the env declares 2 (obs) and 7 (actions) with its own
// element types.
// Also Q16.16 fixed-point arithmetic, bit-exact twin: src/envs/fixed.ts (same names in
// camelCase). Integer arithmetic wraps mod 2^32 on both sides.

#include "grid.wgsl"
#include "rng.wgsl"

struct EnvParams { n: u32, seed: u32 }

// Episode ring: count, then EPISODE_RING x (return f32 bits, length u32).
struct EpisodeRing { count: atomic<u32>, slots: array<u32> }

const EPISODE_RING: u32 = 4096u;

@group(0) @binding(0) var<uniform> env: EnvParams;
@group(0) @binding(3) var<storage, read_write> reward: array<f32>;
@group(0) @binding(4) var<storage, read_write> terminated: array<u32>;
@group(0) @binding(5) var<storage, read_write> truncated: array<u32>;
@group(0) @binding(6) var<storage, read_write> episodes: EpisodeRing;

// Appends a finished episode to the ring (slot order within one step is unspecified).
fn record_episode(ret: f32, len: u32) {
  let k = atomicAdd(&episodes.count, 1u);
  let slot = k % EPISODE_RING;
  episodes.slots[2u * slot] = bitcast<u32>(ret);
  episodes.slots[2u * slot + 1u] = len;
}

// Called by every copy in `reset`: copy 0 empties the ring.
fn clear_episode_count(i: u32) {
  if (i == 0u) { atomicStore(&episodes.count, 0u); }
}

// ---- Q16.16 fixed point: a real r is the i32 round(r * 65536) ----
const FX_ONE: i32 = 65536;
const FX_PI: i32 = 205887;       // pi * 2^16
const FX_TWO_PI: i32 = 411775;   // 2 pi * 2^16
const FX_HALF_PI: i32 = 102944;  // pi / 2 * 2^16

// floor(a * b / 2^16), exactly, from four 16-bit partial products (wraps mod 2^32).
fn fx_mul(a: i32, b: i32) -> i32 {
  let ah = a >> 16u;
  let al = u32(a) & 0xffffu;
  let bh = b >> 16u;
  let bl = u32(b) & 0xffffu;
  let low = (al * bl) >> 16u;
  return ah * bh * 65536 + ah * i32(bl) + i32(al) * bh + i32(low);
}

// a * 2^16 / b truncated toward zero, by long division in four 4-bit digits (|b| < 2^27).
fn fx_div(a: i32, b: i32) -> i32 {
  let neg = (a < 0) != (b < 0);
  let n = u32(abs(a));
  let d = u32(abs(b));
  var q = n / d;
  var r = n % d;
  for (var k = 0; k < 4; k++) {
    r = r << 4u;
    q = (q << 4u) + r / d;
    r = r % d;
  }
  return select(i32(q), -i32(q), neg);
}

// The angle x wrapped into [-pi, pi) (into [-FX_PI, FX_TWO_PI - FX_PI) exactly). Only
// non-negative operands reach `%`: a signed remainder was miscompiled on one backend.
fn fx_wrap_angle(x: i32) -> i32 {
  let y = x + FX_PI;
  var m: i32;
  if (y < 0) {
    m = FX_TWO_PI - 1 - (-y - 1) % FX_TWO_PI;
  } else {
    m = y % FX_TWO_PI;
  }
  return m - FX_PI;
}

// sin x: reduce to [-pi/2, pi/2], then x (1 - x^2/6 (1 - x^2/20 (1 - x^2/42 (1 - x^2/72)))).
fn fx_sin(x: i32) -> i32 {
  var y = fx_wrap_angle(x);
  if (y > FX_HALF_PI) { y = FX_PI - y; } else if (y < -FX_HALF_PI) { y = -FX_PI - y; }
  let y2 = fx_mul(y, y);
  var t = FX_ONE - y2 / 72;
  t = FX_ONE - fx_mul(y2, t) / 42;
  t = FX_ONE - fx_mul(y2, t) / 20;
  t = FX_ONE - fx_mul(y2, t) / 6;
  return fx_mul(y, t);
}

// cos x = sin(x + pi/2).
fn fx_cos(x: i32) -> i32 {
  return fx_sin(fx_wrap_angle(x) + FX_HALF_PI);
}

// A uniform Q16.16 number in [lo, hi) from the top 16 bits of the random u32 `bits`.
fn fx_uniform(bits: u32, lo: i32, hi: i32) -> i32 {
  return lo + fx_mul(i32(bits >> 16u), hi - lo);
}

// The f32 of a Q16.16 value, exactly: the magnitude is first truncated to 24 significant
// bits (integer shift), then scaled by a power of two (exact).
fn fx_to_f32(v: i32) -> f32 {
  let a = u32(abs(v));
  let k = max(0, 8 - i32(countLeadingZeros(a)));
  let m = f32(a >> u32(k));
  let r = ldexp(m, k - 16);
  return select(r, -r, v < 0);
}
