// Helpers of the kernels with one invocation per row (actor_critic, gaussian, q_head,
// sample): the row is `flat_index` of grid.wgsl.

#include "grid.wgsl"

// Statistics a loss head writes (policy, value, entropy, total, bad rows): LOSS_STATS of
// src/nn/actor_critic.ts.
const LOSS_STATS: u32 = 5u;

// The builtins of a loss head's entry point (one invocation per row, a workgroup sum).
struct RowIds {
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
}

// The workgroup's index in a 1-D grid (its row of the partials).
fn group_index(ids: RowIds) -> u32 { return ids.wid.x + ids.wid.y * ids.nwg.x; }

// Whether x is neither NaN nor ±inf (its exponent bits are not all set).
fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
