// Gaussian policy head for continuous actions: a = mean + exp(log_std)·ε, with a state-
// independent log_std [D]. Sampling, forward evaluation, and the fused actor-critic loss and
// backward. TS twin: src/nn/gaussian.ts (same names, same loops). Actions are not clipped here.
//
// sample, element (b, d), c = counter[0], stream = b + stream_offset, k = c·2D + 2d (u32 wrap):
//   u1 = rand_unit(seed, stream, k),  u2 = rand_unit(seed, stream, k + 1)
//   ε = sqrt(−2·log(1 − u1))·cos(2π·u2 − π)          (Box–Muller; 1 − u1 ∈ (0, 1])
//   actions[b, d] = mean[b, d] + exp(log_std[d])·ε
// Per row b, with z_d = (a_d − μ_d)·exp(−log_std_d):
//   log π(a) = Σ_d (−½z_d² − log_std_d − ½log 2π),  H = Σ_d (log_std_d + ½ + ½log 2π)
//   loss_b   = −adv·log π(a) − entropy_coef·H + value_coef·½(R − V)²
//   d_mean[b, d]   = scale·(−adv·z_d·exp(−log_std_d))
//   d_log_std[d]   = Σ_b scale·(−adv·(z_d² − 1) − entropy_coef)
//   d_values[b]    = scale·value_coef·(V − R)
// Statistics: the 5 loss statistics of actor_critic.wgsl (policy, value, entropy, total,
// bad rows). `loss` tree-sums, per workgroup of WG rows, the 5 statistics and the D row
// contributions to d_log_std into partials [num_groups, 5 + D] (no atomics); `reduce` (one
// workgroup per column) sums the groups into stats[stats_offset ..] and d_log_std.

#include "rng.wgsl"
#include "rows.wgsl"

const HALF_LOG_2PI: f32 = 0.91893853320467274;
const HALF_LOG_2PIE: f32 = 1.41893853320467274;  // ½ + ½log 2π: entropy of N(0, 1)
const PI: f32 = 3.14159265358979323;

struct Params {
  B: u32,
  D: u32,
  value_coef: f32,
  entropy_coef: f32,
  scale: f32,
  seed: u32,
  stream_offset: u32,
  stats_offset: u32,   // reduce: element offset of the 5 stats
  num_partials: u32,   // reduce: rows of the partials
}

@group(0) @binding(0) var<uniform> p: Params;

// ---- loss, evaluate, sample ----
@group(0) @binding(1) var<storage, read> mean: array<f32>;     // [B, D]
@group(0) @binding(2) var<storage, read> log_std: array<f32>;  // [D]

// ---- loss and evaluate ----
@group(0) @binding(3) var<storage, read> actions: array<f32>;  // [B, D]

// ---- loss ----
@group(0) @binding(4) var<storage, read> values: array<f32>;           // [B]
@group(0) @binding(5) var<storage, read> advantages: array<f32>;       // [B]
@group(0) @binding(6) var<storage, read> returns: array<f32>;          // [B]
@group(0) @binding(7) var<storage, read_write> d_mean: array<f32>;     // [B, D]
@group(0) @binding(8) var<storage, read_write> d_values: array<f32>;   // [B]
@group(0) @binding(9) var<storage, read_write> partials: array<f32>;   // [num_groups, 5 + D]

// ---- evaluate ----
@group(0) @binding(4) var<storage, read_write> ev_log_prob: array<f32>; // [B]
@group(0) @binding(5) var<storage, read_write> ev_entropy: array<f32>;  // [B]

// ---- sample ----
@group(0) @binding(3) var<storage, read> sa_counter: array<u32>;         // [1]
@group(0) @binding(4) var<storage, read_write> sa_actions: array<f32>;   // [B, D]

// ---- reduce ----
@group(0) @binding(1) var<storage, read> rd_partials: array<f32>;        // [num_partials, 5 + D]
@group(0) @binding(2) var<storage, read_write> rd_stats: array<f32>;     // [stats_offset + 5]
@group(0) @binding(3) var<storage, read_write> rd_d_log_std: array<f32>; // [D]

var<workgroup> wg_sum: array<f32, WG>;

// Tree-sums v over the WG invocations of the workgroup; every invocation must call it (it
// contains barriers). Returns the sum (valid in every invocation).
fn workgroup_sum(lid: u32, v: f32) -> f32 {
  workgroupBarrier();  // earlier readers of wg_sum are done
  wg_sum[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { wg_sum[lid] = wg_sum[lid] + wg_sum[lid + s]; }
    workgroupBarrier();
  }
  return wg_sum[0];
}

@compute @workgroup_size(WG)
fn sample(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.B * p.D) { return; }
  let b = i / p.D;
  let d = i % p.D;
  let stream = b + p.stream_offset;
  let k = sa_counter[0] * (2u * p.D) + 2u * d;
  let u1 = rand_unit(p.seed, stream, k);
  let u2 = rand_unit(p.seed, stream, k + 1u);
  let eps = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * PI * u2 - PI);
  sa_actions[i] = mean[i] + exp(log_std[d]) * eps;
}

@compute @workgroup_size(WG)
fn evaluate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg);
  if (b >= p.B) { return; }
  let base = b * p.D;
  var logp = 0.0;
  var h = 0.0;
  for (var d = 0u; d < p.D; d++) {
    let ls = log_std[d];
    let z = (actions[base + d] - mean[base + d]) * exp(-ls);
    logp += -0.5 * z * z - ls - HALF_LOG_2PI;
    h += ls + HALF_LOG_2PIE;
  }
  ev_log_prob[b] = logp;
  ev_entropy[b] = h;
}

@compute @workgroup_size(WG)
fn loss(ids: RowIds) {
  let b = flat_index(ids.gid, ids.nwg);
  let live = b < p.B;
  let base = b * p.D;
  var terms = array<f32, 5>(0.0, 0.0, 0.0, 0.0, 0.0);
  var adv = 0.0;
  if (live) {
    adv = advantages[b];
    var logp = 0.0;
    var h = 0.0;
    for (var d = 0u; d < p.D; d++) {
      let ls = log_std[d];
      let inv_std = exp(-ls);
      let z = (actions[base + d] - mean[base + d]) * inv_std;
      logp += -0.5 * z * z - ls - HALF_LOG_2PI;
      h += ls + HALF_LOG_2PIE;
      d_mean[base + d] = p.scale * (-adv * z * inv_std);
    }
    let diff = returns[b] - values[b];
    let policy = -adv * logp;
    let value = 0.5 * diff * diff;
    let total = policy + p.value_coef * value - p.entropy_coef * h;
    d_values[b] = p.scale * p.value_coef * (-diff);
    terms = array<f32, 5>(
      p.scale * policy, p.scale * value, p.scale * h, p.scale * total,
      select(0.0, 1.0, !is_finite(total)),
    );
  }
  let width = LOSS_STATS + p.D;
  let g = group_index(ids) * width;
  for (var k = 0u; k < LOSS_STATS; k++) {
    let s = workgroup_sum(ids.lid, terms[k]);
    if (ids.lid == 0u) { partials[g + k] = s; }
  }
  for (var d = 0u; d < p.D; d++) {
    var v = 0.0;
    if (live) {
      let z = (actions[base + d] - mean[base + d]) * exp(-log_std[d]);
      v = p.scale * (-adv * (z * z - 1.0) - p.entropy_coef);
    }
    let s = workgroup_sum(ids.lid, v);
    if (ids.lid == 0u) { partials[g + LOSS_STATS + d] = s; }
  }
}

// One workgroup per column k of the partials: k < 5 → stats[stats_offset + k], else
// d_log_std[k − 5].
@compute @workgroup_size(WG)
fn reduce(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let k = wid.x;
  let width = LOSS_STATS + p.D;
  var v = 0.0;
  for (var g = lid; g < p.num_partials; g += WG) { v += rd_partials[g * width + k]; }
  let s = workgroup_sum(lid, v);
  if (lid == 0u) {
    if (k < LOSS_STATS) {
      rd_stats[p.stats_offset + k] = s;
    } else {
      rd_d_log_std[k - LOSS_STATS] = s;
    }
  }
}
