// Generalized advantage estimation over a rollout of T steps for N envs (time-major [T, N]).
// TS twin: src/algos/gae.ts. One invocation per env walks t = T-1 .. 0:
//   next_t  = terminated_t ? 0 : (truncated_t ? V_final : (t == T-1 ? V_last : V_{t+1}))
//   delta_t = r_t + gamma * next_t - V_t
//   A_t     = delta_t + gamma * lambda * (1 - done_t) * A_{t+1}     (done = terminated | truncated)
//   R_t     = A_t + V_t                                              (the lambda-return)
// A truncated step (time limit) bootstraps from V_final = V(s_final), the value of the
// observation the time limit cut off (the env's final_obs; Pardo et al. 2018), one per env
// and rollout (the runners keep T <= the time limit, so an env truncates at most once).

#include "grid.wgsl"

struct Params { T: u32, N: u32, gamma: f32, lambda: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rewards: array<f32>;     // [T, N]
@group(0) @binding(2) var<storage, read> values: array<f32>;      // [T, N]
@group(0) @binding(3) var<storage, read> terminated: array<u32>;  // [T, N], 0 or 1
@group(0) @binding(4) var<storage, read> truncated: array<u32>;   // [T, N], 0 or 1
@group(0) @binding(5) var<storage, read> last_values: array<f32>; // [N], V(s_T)
@group(0) @binding(6) var<storage, read_write> advantages: array<f32>; // [T, N]
@group(0) @binding(7) var<storage, read_write> returns: array<f32>;    // [T, N]
@group(0) @binding(8) var<storage, read> final_values: array<f32>;    // [N], V(s_final)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let env = flat_index(gid, nwg);
  if (env >= p.N) { return; }
  var next_value = last_values[env];
  var next_advantage = 0.0;
  for (var s = 0u; s < p.T; s++) {
    let t = p.T - 1u - s;
    let i = t * p.N + env;
    let v = values[i];
    var bootstrap = next_value;
    if (truncated[i] != 0u) { bootstrap = final_values[env]; }
    if (terminated[i] != 0u) { bootstrap = 0.0; }
    let not_done = select(1.0, 0.0, terminated[i] != 0u || truncated[i] != 0u);
    let delta = rewards[i] + p.gamma * bootstrap - v;
    let a = delta + p.gamma * p.lambda * not_done * next_advantage;
    advantages[i] = a;
    returns[i] = a + v;
    next_value = v;
    next_advantage = a;
  }
}
