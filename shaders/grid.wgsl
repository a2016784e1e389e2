// The workgroup size of a kernel, a pipeline constant with no default: the recorder passes it
// and sizes its grid with the same number (makeDispatch1d in src/gpu/plan.ts), so it is
// written once, in TypeScript, for `@workgroup_size(WG)`, the index and the dispatch count.
override WG: u32;

// Index of a 1-D dispatch of WG-wide workgroups (y extends past 65535 workgroups: grid1d).
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * WG; }
