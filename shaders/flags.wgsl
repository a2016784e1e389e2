// Episode-start flags from an env step's end flags: starts[i] = 1 where terminated[i] or
// truncated[i] is nonzero, else 0 (u32 [n]). A recurrent policy resets its state there.
// TS twin: `episodeStarts` in src/gpu/flags.ts.

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> terminated: array<u32>;
@group(0) @binding(2) var<storage, read> truncated: array<u32>;
@group(0) @binding(3) var<storage, read_write> starts: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  starts[i] = select(0u, 1u, terminated[i] != 0u || truncated[i] != 0u);
}
