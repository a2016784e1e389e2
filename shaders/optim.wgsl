// Optimizers over the flat parameter vector: the global gradient norm (a two-pass reduction),
// RMSProp in the A3C paper's form, Adam, and the step counter that drives learning-rate
// annealing and Adam's bias correction. TS twin: src/nn/optim.ts (optimizerStep). One step is
// norm_partial, norm_final, rmsprop or adam, advance. Nothing is read back: the update
// kernels read the clip factor and learning rate from `stats`, and the step from `step`.
//
// stats (f32 [8]): [0] gradient norm before clipping, [1] learning rate of this step,
//                  [2] the step index used (as f32), [3] the clip factor,
//                  [4] Adam's c1 = 1 − β1^(t+1), [5] c2 = 1 − β2^(t+1), [6..7] unused.
//
// Precision: 1 − β and ln β come from the CPU in float64 (rounded once to f32), and
// 1 − β^t is computed as −expm1(t·ln β), never as 1 − pow(β, t): pow's error near 1 would be
// multiplied by 1/(1 − β) (1000 for β2 = 0.999).
// step (u32 [1]):  optimizer steps taken so far; advanced by `advance` at the end of a step.

struct Params {
  n: u32,               // parameters
  lr: f32,              // initial learning rate
  total_steps: u32,     // anneal to 0 over this many steps; 0 = constant
  max_norm: f32,        // clip the global norm to this; 0 = off
  num_partials: u32,    // workgroups of norm_partial (at most 1024)
  eps: f32,             // RMSProp: inside the sqrt; Adam: outside
  alpha: f32,           // RMSProp decay α
  one_minus_alpha: f32, // 1 − α
  beta1: f32,           // Adam β1
  one_minus_beta1: f32, // 1 − β1
  log_beta1: f32,       // ln β1 (−inf for β1 = 0)
  beta2: f32,           // Adam β2
  one_minus_beta2: f32, // 1 − β2
  log_beta2: f32,       // ln β2
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;   // [n]
@group(0) @binding(2) var<storage, read> grads: array<f32>;          // [n]
@group(0) @binding(3) var<storage, read_write> first: array<f32>;    // [n] RMSProp g / Adam m
@group(0) @binding(4) var<storage, read_write> second: array<f32>;   // [n] Adam v
@group(0) @binding(5) var<storage, read_write> partials: array<f32>; // [num_partials]
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;    // [8]
@group(0) @binding(7) var<storage, read_write> step: array<u32>;     // [1]

#include "grid.wgsl"

var<workgroup> sums: array<f32, WG>;

// Tree sum of sums[0..WG) into sums[0]; every invocation of the workgroup calls it.
fn tree_sum(lid: u32) {
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { sums[lid] += sums[lid + s]; }
  }
  workgroupBarrier();
}

// Pass 1: workgroup w sums grad² over elements w·WG + lid + k·(num_partials·WG).
@compute @workgroup_size(WG)
fn norm_partial(@builtin(local_invocation_id) lid3: vec3<u32>,
                @builtin(workgroup_id) wid: vec3<u32>) {
  let lid = lid3.x;
  var acc = 0.0;
  let stride = p.num_partials * WG;
  for (var i = wid.x * WG + lid; i < p.n; i += stride) {
    let g = grads[i];
    acc += g * g;
  }
  sums[lid] = acc;
  tree_sum(lid);
  if (lid == 0u) { partials[wid.x] = sums[0]; }
}

// 1 − b^t = −expm1(t·ln b), from log_b = ln b: a series where t·ln b is small, else 1 − exp.
fn one_minus_pow(log_b: f32, t: f32) -> f32 {
  let x = t * log_b;
  if (x > -0.5) {
    var term = x;
    var sum = x;
    for (var k = 2.0; k <= 10.0; k += 1.0) {
      term *= x / k;
      sum += term;
    }
    return -sum;
  }
  return 1.0 - exp(x);
}

// Pass 2 (one workgroup): the norm, this step's learning rate, clip factor and Adam's bias
// corrections into stats.
@compute @workgroup_size(WG)
fn norm_final(@builtin(local_invocation_id) lid3: vec3<u32>) {
  let lid = lid3.x;
  var acc = 0.0;
  for (var i = lid; i < p.num_partials; i += WG) { acc += partials[i]; }
  sums[lid] = acc;
  tree_sum(lid);
  if (lid == 0u) {
    let norm = sqrt(sums[0]);
    let t = step[0];
    var lr = p.lr;
    if (p.total_steps > 0u) {
      lr = p.lr * max(0.0, 1.0 - f32(t) / f32(p.total_steps));
    }
    var scale = 1.0;
    if (p.max_norm > 0.0) { scale = min(1.0, p.max_norm / (norm + 1e-6)); }
    stats[0] = norm;
    stats[1] = lr;
    stats[2] = f32(t);
    stats[3] = scale;
    stats[4] = one_minus_pow(p.log_beta1, f32(t + 1u));
    stats[5] = one_minus_pow(p.log_beta2, f32(t + 1u));
  }
}

// g ← αg + (1−α)d²; θ ← θ − η·d/√(g + ε), d the clipped gradient.
@compute @workgroup_size(WG)
fn rmsprop(@builtin(global_invocation_id) gid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.n) { return; }
  let d = grads[i] * stats[3];
  let lr = stats[1];
  let g = p.alpha * first[i] + p.one_minus_alpha * d * d;
  first[i] = g;
  params[i] -= lr * d / sqrt(g + p.eps);
}

// m ← β1·m + (1−β1)d; v ← β2·v + (1−β2)d²; θ ← θ − η·(m/c1)/(√(v/c2) + ε), c = 1 − β^(t+1).
@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= p.n) { return; }
  let d = grads[i] * stats[3];
  let lr = stats[1];
  let c1 = stats[4];
  let c2 = stats[5];
  let m = p.beta1 * first[i] + p.one_minus_beta1 * d;
  let v = p.beta2 * second[i] + p.one_minus_beta2 * d * d;
  first[i] = m;
  second[i] = v;
  params[i] -= lr * (m / c1) / (sqrt(v / c2) + p.eps);
}

// The end of a step: step ← step + 1 (one thread).
@compute @workgroup_size(1)
fn advance() {
  step[0] += 1u;
}
