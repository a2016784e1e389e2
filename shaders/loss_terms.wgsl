// The workgroup tree sum of the loss heads' per-row (terms, bad) pairs (actor_critic,
// q_head) into one partial a workgroup. The including shader declares `const WG: u32`,
// `LOSS_STATS` (5) and `partials` ([num_groups, LOSS_STATS], read_write).

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

// Sums the workgroup's (terms, bad) and writes them as its partial: partials[g, 0..4] with g
// its workgroup index. Must be called by every invocation.
fn write_partial(lid: u32, wid: vec3<u32>, nwg: vec3<u32>, terms: vec4<f32>, bad: f32) {
  workgroup_sum(lid, terms, bad);
  if (lid == 0u) {
    let g = (wid.x + wid.y * nwg.x) * LOSS_STATS;
    let t = wg_terms[0];
    partials[g] = t.x;
    partials[g + 1u] = t.y;
    partials[g + 2u] = t.z;
    partials[g + 3u] = t.w;
    partials[g + 4u] = wg_bad[0];
  }
}
