// Action selection from logits: categorical sampling by inverse CDF, greedy argmax, and the
// one-thread kernel that advances the step counter the samplers read. TS twin:
// src/nn/sample.ts (same names, same order of f32 operations).
//
// The step counter lives in a u32 GPU buffer (`counter[0]`), so a replayed plan draws fresh
// numbers every step with no CPU work: the sampler reads it, `advance` (recorded at the end
// of each step) adds `increment` to it.
//
// sample, row b with z = logits[b, :], c = counter[0]:
//   m = max_j z_j (first index of the max: j_max),  e_j = exp(z_j − m),  s = Σ_j e_j (j upward)
//   u = rand_unit(seed, b + stream_offset, c),  threshold = u·s
//   action = first j with threshold < e_0 + … + e_j (same running f32 sum), else j_max
// greedy: action = argmax_j z_j, ties to the lowest index.

#include "rng.wgsl"
#include "rows.wgsl"


struct Params {
  B: u32,
  A: u32,
  seed: u32,
  stream_offset: u32,
  increment: u32,  // advance only
}

@group(0) @binding(0) var<uniform> p: Params;

// ---- sample and greedy ----
@group(0) @binding(1) var<storage, read> logits: array<f32>;         // [B, A]

// ---- sample ----
@group(0) @binding(2) var<storage, read> counter: array<u32>;        // [1]
@group(0) @binding(3) var<storage, read_write> actions: array<i32>;  // [B]

// ---- greedy ----
@group(0) @binding(2) var<storage, read_write> gr_actions: array<i32>; // [B]

// ---- advance ----
@group(0) @binding(1) var<storage, read_write> ad_counter: array<u32>; // [1]

@compute @workgroup_size(WG)
fn sample(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg);
  if (b >= p.B) { return; }
  let base = b * p.A;
  var m = logits[base];
  var j_max = 0u;
  for (var j = 1u; j < p.A; j++) {
    let z = logits[base + j];
    if (z > m) { m = z; j_max = j; }
  }
  var s = 0.0;
  for (var j = 0u; j < p.A; j++) { s += exp(logits[base + j] - m); }
  let u = rand_unit(p.seed, b + p.stream_offset, counter[0]);
  let threshold = u * s;
  var action = j_max;
  var cdf = 0.0;
  for (var j = 0u; j < p.A; j++) {
    cdf += exp(logits[base + j] - m);
    if (threshold < cdf) { action = j; break; }
  }
  actions[b] = i32(action);
}

@compute @workgroup_size(WG)
fn greedy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg);
  if (b >= p.B) { return; }
  let base = b * p.A;
  var best = logits[base];
  var action = 0u;
  for (var j = 1u; j < p.A; j++) {
    let z = logits[base + j];
    if (z > best) { best = z; action = j; }
  }
  gr_actions[b] = i32(action);
}

@compute @workgroup_size(1)
fn advance() {
  ad_counter[0] = ad_counter[0] + p.increment;
}
