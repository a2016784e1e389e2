// The workgroup tree sum of the loss heads' per-row (terms, bad) pairs (actor_critic,
// q_head). The including shader declares `const WG: u32` and includes rows.wgsl.

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
