// Word copies between buffers at element offsets, inside a compute pass (a plan stays one
// pass; copyBufferToBuffer would end it). TS twin: Array.prototype.set / typedArray.copyWithin.
// Used to store each step of a rollout at its place: dst[dst_offset + i] = src[src_offset + i].

#include "grid.wgsl"

struct Params { n: u32, src_offset: u32, dst_offset: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.n) { return; }
  dst[p.dst_offset + i] = src[p.src_offset + i];
}
