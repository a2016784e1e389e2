// Optimizers over the flat parameter vector: global gradient norm (two-pass reduction),
// RMSProp in the A3C paper's form, Adam, and the step counter that drives learning-rate
// annealing. TS twin: src/nn/optim.ts. Nothing is read back: the update kernels read the
// norm and the step from GPU buffers.
//
// stats (f32): [0] gradient norm before clipping, [1] learning rate of this step, [2] step.

struct Params {
  n: u32,            // parameters
  kind: u32,         // 0 RMSProp, 1 Adam
  lr: f32,           // initial learning rate
  total_steps: u32,  // anneal to 0 over this many steps; 0 = constant
  alpha: f32,        // RMSProp decay
  eps: f32,          // RMSProp: inside the sqrt; Adam: outside
  beta1: f32,
  beta2: f32,
  max_norm: f32,     // 0 = no clipping
  num_partials: u32, // workgroups of the first reduction pass
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> first: array<f32>;   // RMSProp g / Adam m
@group(0) @binding(4) var<storage, read_write> second: array<f32>;  // Adam v (1 float for RMSProp)
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;
@group(0) @binding(7) var<storage, read_write> step: array<u32>;    // [1]

var<workgroup> sums: array<f32, 256>;

fn tree_sum(lid: u32) {
  for (var s = 128u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { sums[lid] += sums[lid + s]; }
  }
  workgroupBarrier();
}

// Pass 1: workgroup w sums grads² over elements w·256 + lid + k·(num_partials·256).
@compute @workgroup_size(256)
fn norm_partial(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let lid = lid3.x;
  var acc = 0.0;
  let stride = p.num_partials * 256u;
  for (var i = wid.x * 256u + lid; i < p.n; i += stride) {
    let g = grads[i];
    acc += g * g;
  }
  sums[lid] = acc;
  tree_sum(lid);
  if (lid == 0u) { partials[wid.x] = sums[0]; }
}

// Pass 2: one workgroup sums the partials; writes the norm, this step's lr and the step.
@compute @workgroup_size(256)
fn norm_final(@builtin(local_invocation_id) lid3: vec3<u32>) {
  let lid = lid3.x;
  var acc = 0.0;
  for (var i = lid; i < p.num_partials; i += 256u) { acc += partials[i]; }
  sums[lid] = acc;
  tree_sum(lid);
  if (lid == 0u) {
    stats[0] = sqrt(sums[0]);
    var lr = p.lr;
    if (p.total_steps > 0u) {
      lr = p.lr * max(0.0, 1.0 - f32(step[0]) / f32(p.total_steps));
    }
    stats[1] = lr;
    stats[2] = f32(step[0]);
  }
}

fn clip_scale() -> f32 {
  if (p.max_norm > 0.0) { return min(1.0, p.max_norm / (stats[0] + 1e-6)); }
  return 1.0;
}

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let d = grads[i] * clip_scale();
  let lr = stats[1];
  if (p.kind == 0u) {
    let g = p.alpha * first[i] + (1.0 - p.alpha) * d * d;
    first[i] = g;
    params[i] -= lr * d / sqrt(g + p.eps);
  } else {
    let t = f32(step[0] + 1u);
    let c1 = 1.0 - pow(p.beta1, t);
    let c2 = 1.0 - pow(p.beta2, t);
    let m = p.beta1 * first[i] + (1.0 - p.beta1) * d;
    let v = p.beta2 * second[i] + (1.0 - p.beta2) * d * d;
    first[i] = m;
    second[i] = v;
    params[i] -= lr * (m / c1) / (sqrt(v / c2) + p.eps);
  }
}

// After the update: the next step.
@compute @workgroup_size(1)
fn advance() {
  step[0] += 1u;
}
