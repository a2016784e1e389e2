// Per-copy flag kernels of a rollout. TS twins in src/gpu/flags.ts.
// `main`: episode-start flags from an env step's end flags: starts[i] = 1 where terminated[i]
// or truncated[i] is nonzero, else 0 (u32 [n]). A recurrent policy resets its state there.
// `copy_rows_where`: dst row i = src row i (width f32s each) where flag[i] is nonzero; other
// rows untouched. One invocation per element of the [n, width] block.

#include "grid.wgsl"

struct Params { n: u32, width: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> terminated: array<u32>;
@group(0) @binding(2) var<storage, read> truncated: array<u32>;
@group(0) @binding(3) var<storage, read_write> starts: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.n) { return; }
  starts[i] = select(0u, 1u, terminated[i] != 0u || truncated[i] != 0u);
}

@group(0) @binding(4) var<storage, read> flag: array<u32>;
@group(0) @binding(5) var<storage, read> src: array<f32>;
@group(0) @binding(6) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn copy_rows_where(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = flat_index(gid, nwg);
  if (k >= p.n * p.width) { return; }
  if (flag[k / p.width] != 0u) { dst[k] = src[k]; }
}
