// Fused actor-critic head for a softmax policy over A actions, and the loss-statistics
// reduction shared by the loss heads (gaussian.wgsl, q_head.wgsl). TS twin:
// src/nn/actor_critic.ts (same names, same loops).
//
// Per row b (one invocation per row; A is small), with z = logits[b, :], a = actions[b],
// adv = advantages[b], R = returns[b], V = values[b]:
//   m = max_j z_j,  ls = log Σ_j exp(z_j − m)           (stable log-softmax)
//   logp_j = (z_j − m) − ls,  p_j = exp(logp_j),  H = −Σ_j p_j·logp_j
//   loss_b = −adv·logp_a − entropy_coef·H + value_coef·½(R − V)²
//   d_logits[b, j] = scale·(−adv·(1[j = a] − p_j) + entropy_coef·p_j·(logp_j + H))
//   d_values[b]    = scale·value_coef·(V − R)
//
// Loss statistics, LOSS_STATS = 5 floats at stats[stats_offset ..]:
//   0 policy loss  scale·Σ_b −adv·logp_a
//   1 value loss   scale·Σ_b ½(R − V)²           (before value_coef)
//   2 entropy      scale·Σ_b H                   (the mean entropy when scale = 1/B)
//   3 total loss   scale·Σ_b loss_b  = [0] + value_coef·[1] − entropy_coef·[2]
//   4 bad rows     rows whose loss_b is NaN or ±inf, or whose action is outside [0, A)
//                  (such an action is clamped into range for the gradient); not scaled
// `loss` writes one partial per workgroup (a tree sum over its WG rows) into
// partials [num_groups, LOSS_STATS]; `reduce_stats` (one workgroup) sums the partials into
// stats. No atomics, no readback: the host reads stats back whenever it likes.

#include "loss_terms.wgsl"

struct Params {
  B: u32,
  A: u32,
  value_coef: f32,
  entropy_coef: f32,
  scale: f32,
  stats_offset: u32,  // reduce_stats: element offset of the 5 stats in `rs_stats`
  num_partials: u32,  // reduce_stats: rows of `rs_partials`
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// ---- loss and evaluate ----
@group(0) @binding(1) var<storage, read> logits: array<f32>;   // [B, A]
@group(0) @binding(2) var<storage, read> actions: array<i32>;  // [B]

// ---- loss ----
@group(0) @binding(3) var<storage, read> values: array<f32>;           // [B]
@group(0) @binding(4) var<storage, read> advantages: array<f32>;       // [B]
@group(0) @binding(5) var<storage, read> returns: array<f32>;          // [B]
@group(0) @binding(6) var<storage, read_write> d_logits: array<f32>;   // [B, A]
@group(0) @binding(7) var<storage, read_write> d_values: array<f32>;   // [B]
@group(0) @binding(8) var<storage, read_write> partials: array<f32>;   // [num_groups, 5]

// ---- evaluate ----
@group(0) @binding(3) var<storage, read_write> ev_log_prob: array<f32>; // [B], log π(a)
@group(0) @binding(4) var<storage, read_write> ev_entropy: array<f32>;  // [B], H(π)

// ---- reduce_stats ----
@group(0) @binding(1) var<storage, read> rs_partials: array<f32>;      // [num_partials, 5]
@group(0) @binding(2) var<storage, read_write> rs_stats: array<f32>;   // [stats_offset + 5]



// (m, ls): the row maximum and log Σ_j exp(z_j − m) of the logits row starting at `base`.
fn row_max_logsum(base: u32) -> vec2<f32> {
  var m = logits[base];
  for (var j = 1u; j < p.A; j++) { m = max(m, logits[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < p.A; j++) { s += exp(logits[base + j] - m); }
  return vec2<f32>(m, log(s));
}

// H = −Σ_j p_j·logp_j of the row starting at `base`, given (m, ls).
fn row_entropy(base: u32, ms: vec2<f32>) -> f32 {
  var h = 0.0;
  for (var j = 0u; j < p.A; j++) {
    let logp = (logits[base + j] - ms.x) - ms.y;
    h -= exp(logp) * logp;
  }
  return h;
}

@compute @workgroup_size(WG)
fn loss(ids: RowIds) {
  let b = flat_index(ids.gid, ids.nwg);
  var terms = vec4<f32>(0.0);
  var bad = 0.0;
  if (b < p.B) {
    let base = b * p.A;
    let ms = row_max_logsum(base);
    let h = row_entropy(base, ms);
    let valid = action_ok(actions[b], p.A);
    let a = clamp_action(actions[b], p.A);
    let logp_a = (logits[base + a] - ms.x) - ms.y;
    let adv = advantages[b];
    let diff = returns[b] - values[b];
    let policy = -adv * logp_a;
    let value = 0.5 * diff * diff;
    let total = policy + p.value_coef * value - p.entropy_coef * h;
    for (var j = 0u; j < p.A; j++) {
      let logp = (logits[base + j] - ms.x) - ms.y;
      let pj = exp(logp);
      let onehot = select(0.0, 1.0, j == a);
      d_logits[base + j] = p.scale * (-adv * (onehot - pj) + p.entropy_coef * pj * (logp + h));
    }
    d_values[b] = p.scale * p.value_coef * (-diff);
    terms = p.scale * vec4<f32>(policy, value, h, total);
    bad = select(0.0, 1.0, !valid || !is_finite(total));
  }
  write_partial(ids, terms, bad);
}

// log π(a) and H(π) per row, for evaluation and logging.
@compute @workgroup_size(WG)
fn evaluate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg);
  if (b >= p.B) { return; }
  let base = b * p.A;
  let ms = row_max_logsum(base);
  let a = clamp_action(actions[b], p.A);
  ev_log_prob[b] = (logits[base + a] - ms.x) - ms.y;
  ev_entropy[b] = row_entropy(base, ms);
}

// One workgroup: stats[stats_offset + k] = Σ_g partials[g, k].
@compute @workgroup_size(WG)
fn reduce_stats(@builtin(local_invocation_index) lid: u32) {
  var terms = vec4<f32>(0.0);
  var bad = 0.0;
  for (var g = lid; g < p.num_partials; g += WG) {
    let i = g * LOSS_STATS;
    terms += vec4<f32>(rs_partials[i], rs_partials[i + 1u], rs_partials[i + 2u], rs_partials[i + 3u]);
    bad += rs_partials[i + 4u];
  }
  workgroup_sum(lid, terms, bad);
  if (lid == 0u) {
    for (var k = 0u; k < LOSS_STATS; k++) { rs_stats[p.stats_offset + k] = summed_stat(k); }
  }
}
