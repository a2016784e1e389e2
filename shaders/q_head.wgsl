// Q-learning head: the TD loss on the taken actions with its gradient, and ε-greedy action
// selection with per-row ε and the counter RNG. TS twin: src/nn/q_head.ts (same names).
// Greedy selection is `greedy` of sample.wgsl (argmax, ties to the lowest index).
//
// loss, row b with a = actions[b], δ = targets[b] − q[b, a]:
//   loss_b = ½·δ²;  dq[b, j] = scale·(q[b, a] − targets[b]) if j = a, else 0
// Loss statistics (the 5-float layout of actor_critic.wgsl, reduced by its reduce_stats):
//   0 scale·Σ q[b, a]   1 scale·Σ ½δ²   2 scale·Σ |δ|   3 total loss = [1]
//   4 bad rows: δ not finite, or action outside [0, A) (clamped into range for dq)
//
// epsilon_greedy, row b, c = counter[0], stream = b + stream_offset:
//   u = rand_unit(seed, stream, 2c);  r = rand_unit(seed, stream, 2c + 1)   (u32 wrap)
//   action = u < epsilon[b] ? min(u32(r·A), A − 1) : argmax_j q[b, j] (ties to the lowest)

#include "rng.wgsl"
#include "loss_terms.wgsl"

struct Params {
  B: u32,
  A: u32,
  scale: f32,
  seed: u32,
  stream_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// ---- loss and epsilon_greedy ----
@group(0) @binding(1) var<storage, read> q: array<f32>;              // [B, A]

// ---- loss ----
@group(0) @binding(2) var<storage, read> actions: array<i32>;        // [B]
@group(0) @binding(3) var<storage, read> targets: array<f32>;        // [B]
@group(0) @binding(4) var<storage, read_write> dq: array<f32>;       // [B, A]
@group(0) @binding(5) var<storage, read_write> partials: array<f32>; // [num_groups, 5]

// ---- epsilon_greedy ----
@group(0) @binding(2) var<storage, read> eg_epsilon: array<f32>;        // [B]
@group(0) @binding(3) var<storage, read> eg_counter: array<u32>;        // [1]
@group(0) @binding(4) var<storage, read_write> eg_actions: array<i32>;  // [B]



@compute @workgroup_size(WG)
fn loss(ids: RowIds) {
  let b = flat_index(ids.gid, ids.nwg);
  var terms = vec4<f32>(0.0);
  var bad = 0.0;
  if (b < p.B) {
    let base = b * p.A;
    let valid = action_ok(actions[b], p.A);
    let a = clamp_action(actions[b], p.A);
    let qa = q[base + a];
    let delta = targets[b] - qa;
    for (var j = 0u; j < p.A; j++) {
      dq[base + j] = select(0.0, p.scale * (-delta), j == a);
    }
    let td = 0.5 * delta * delta;
    terms = p.scale * vec4<f32>(qa, td, abs(delta), td);
    bad = select(0.0, 1.0, !valid || !is_finite(delta));
  }
  write_partial(ids, terms, bad);
}

@compute @workgroup_size(WG)
fn epsilon_greedy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg);
  if (b >= p.B) { return; }
  let stream = b + p.stream_offset;
  let c2 = 2u * eg_counter[0];
  let u = rand_unit(p.seed, stream, c2);
  var action = 0u;
  if (u < eg_epsilon[b]) {
    let r = rand_unit(p.seed, stream, c2 + 1u);
    action = min(u32(r * f32(p.A)), p.A - 1u);
  } else {
    let base = b * p.A;
    var best = q[base];
    for (var j = 1u; j < p.A; j++) {
      let v = q[base + j];
      if (v > best) { best = v; action = j; }
    }
  }
  eg_actions[b] = i32(action);
}
