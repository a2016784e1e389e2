// The workgroup tree sum of the loss heads' per-row (terms, bad) pairs (actor_critic,
// q_head) into one partial a workgroup of WG rows, and their actions. The including shader
// declares `partials` ([num_groups, LOSS_STATS], read_write).

#include "rows.wgsl"

var<workgroup> wg_terms: array<vec4<f32>, WG>;
var<workgroup> wg_bad: array<f32, WG>;

// Tree-sums (terms, bad) over the WG invocations of the workgroup into slot 0. Must be called
// by every invocation (it contains barriers).
fn workgroup_sum(lid: u32, terms: vec4<f32>, bad: f32) {
  wg_terms[lid] = terms;
  wg_bad[lid] = bad;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      wg_terms[lid] = wg_terms[lid] + wg_terms[lid + s];
      wg_bad[lid] = wg_bad[lid] + wg_bad[lid + s];
    }
    workgroupBarrier();
  }
}

// Statistic k of the workgroup sum (after workgroup_sum): terms[k] for k < 4, else bad.
fn summed_stat(k: u32) -> f32 {
  if (k < 4u) { return wg_terms[0][k]; }
  return wg_bad[0];
}

// Sums the workgroup's (terms, bad) and writes them as its partial: partials[g, 0..4] with g
// its workgroup index. Must be called by every invocation.
fn write_partial(ids: RowIds, terms: vec4<f32>, bad: f32) {
  workgroup_sum(ids.lid, terms, bad);
  if (ids.lid == 0u) {
    let g = group_index(ids) * LOSS_STATS;
    for (var k = 0u; k < LOSS_STATS; k++) { partials[g + k] = summed_stat(k); }
  }
}

// Whether action a indexes one of A; a clamped into [0, A) (a bad row's gradient uses it).
fn action_ok(a: i32, A: u32) -> bool { return a >= 0 && a < i32(A); }
fn clamp_action(a: i32, A: u32) -> u32 { return u32(clamp(a, 0, i32(A) - 1)); }
