// Helpers of the kernels with one invocation per row (actor_critic, gaussian, q_head,
// sample). The including shader declares `const WG: u32`, its workgroup size, once for both
// `@workgroup_size(WG)` and `row_index`.

// Whether x is neither NaN nor ±inf (its exponent bits are not all set).
fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

// Row of a 1-D dispatch of WG-wide workgroups (y extends past 65535 workgroups).
fn row_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * WG; }
