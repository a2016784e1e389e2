// Elementwise activations, forward and backward. TS twin: src/nn/activations.ts.
// The activation is a pipeline constant: ACT = 0 ReLU, 1 ELU (alpha 1), 2 tanh, 3 identity.
// Backward uses the forward output y (all four derivatives are functions of y):
//   ReLU: y > 0 ? 1 : 0      ELU: y > 0 ? 1 : y + 1      tanh: 1 - y^2      identity: 1

#include "grid.wgsl"

override ACT: u32 = 0u;

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;   // forward: x; backward: y
@group(0) @binding(2) var<storage, read_write> dst: array<f32>; // forward: y; backward: dx
@group(0) @binding(3) var<storage, read> dy: array<f32>;   // backward only

fn act(x: f32) -> f32 {
  switch ACT {
    case 0u: { return max(x, 0.0); }
    case 1u: { return select(exp(x) - 1.0, x, x > 0.0); }
    case 2u: { return tanh(x); }
    default: { return x; }
  }
}

fn act_grad_from_y(y: f32) -> f32 {
  switch ACT {
    case 0u: { return select(0.0, 1.0, y > 0.0); }
    case 1u: { return select(y + 1.0, 1.0, y > 0.0); }
    case 2u: { return 1.0 - y * y; }
    default: { return 1.0; }
  }
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.n) { return; }
  dst[i] = act(src[i]);
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.n) { return; }
  dst[i] = dy[i] * act_grad_from_y(src[i]);
}
