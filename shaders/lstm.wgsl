// LSTM pointwise kernels, forward and backward. TS twin: src/nn/lstm.ts (same names).
// The matmuls (x·wIhᵀ + b over all steps, hm·wHhᵀ per step, the backward products) come from
// shaders/matmul.wgsl through src/nn/linear_gpu.ts; these kernels do everything else.
//
// Gate order i, f, g, o (PyTorch). Per step t and sequence b, with keep = 1 - (starts != 0):
//   hm_t = keep_t·h_{t-1}, cm_t = keep_t·c_{t-1}                 (the reset mask)
//   gates = x_t·wIhᵀ + hm_t·wHhᵀ + b;  i,f,o = σ, g = tanh
//   c_t = f·cm_t + i·g;  h_t = o·tanh(c_t)
// Backward, with dh_t = dhs[t] + keep_{t+1}·dhm_{t+1} and dc_t = keep_{t+1}·dcm_{t+1} +
// dh_t·o·(1 - tanh²c_t) (keep_T = 1 and dhm_T, dcm_T = dhT, dcT):
//   d_o = dh_t·tanh(c_t)·o(1-o);  d_i = dc_t·g·i(1-i);  d_g = dc_t·i·(1-g²);
//   d_f = dc_t·cm_t·f(1-f);  dcm_t = dc_t·f;  dhm_t = dG_t·wHh (a matmul)
//
// Layouts (row-major, time-major): cache = one f32 buffer holding the regions
//   gates [T, B, 4H] (activated), c [T, B, H], hm [T, B, H], cm [T, B, H]
// at the element offsets off_gates, off_c, off_hm, off_cm; hs, dhs [T, B, H];
// starts u32 [T, B] (nonzero: an episode starts at step t); step scratch g_step, dg_step
// [B, 4H], hm_step, dh_carry, dc_carry [B, H]. Every kernel is a 1-D grid over B·H
// invocations (b = idx / H, j = idx % H); the y dimension extends past 65535 workgroups.

#include "grid.wgsl"

struct Params {
  B: u32,
  H: u32,
  T: u32,
  t: u32,          // the step of forward_step / backward_step
  off_gates: u32,  // region offsets in the cache, in elements
  off_c: u32,
  off_hm: u32,
  off_cm: u32,
  flags: u32,      // bit 0: first optional buffer present, bit 1: second (see each kernel)
}

@group(0) @binding(0) var<uniform> p: Params;

fn sigmoid(v: f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }

// tanh with the argument clamped to ±15 (tanh(15) rounds to 1 in f32): some backends compute
// tanh as a ratio of exponentials that overflows to NaN for large |v|.
fn tanh_c(v: f32) -> f32 { return tanh(clamp(v, -15.0, 15.0)); }

fn keep(s: u32) -> f32 { return select(1.0, 0.0, s != 0u); }

// ---- forward_start: hm_step = hm_0 = keep_0·h0, cm_0 = keep_0·c0 ----
@group(0) @binding(1) var<storage, read> fs_h0: array<f32>;          // [B, H]
@group(0) @binding(2) var<storage, read> fs_c0: array<f32>;          // [B, H]
@group(0) @binding(3) var<storage, read> fs_starts: array<u32>;      // [T, B]
@group(0) @binding(4) var<storage, read_write> fs_cache: array<f32>;
@group(0) @binding(5) var<storage, read_write> fs_hm_step: array<f32>; // [B, H]

@compute @workgroup_size(WG)
fn forward_start(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = flat_index(gid, nwg);
  if (k >= p.B * p.H) { return; }
  let b = k / p.H;
  let m = keep(fs_starts[b]);
  let h = m * fs_h0[k];
  fs_hm_step[k] = h;
  fs_cache[p.off_hm + k] = h;
  fs_cache[p.off_cm + k] = m * fs_c0[k];
}

// ---- forward_step (step t): gates[t] += g_step, activate; c_t, h_t; masked state of t+1 ----
// flags bit 0: h_final present, bit 1: c_final present (written at t = T-1).
@group(0) @binding(1) var<storage, read> fw_g_step: array<f32>;        // [B, 4H] = hm_t·wHhᵀ
@group(0) @binding(2) var<storage, read_write> fw_cache: array<f32>;
@group(0) @binding(3) var<storage, read_write> fw_hs: array<f32>;       // [T, B, H]
@group(0) @binding(4) var<storage, read_write> fw_hm_step: array<f32>;  // [B, H]
@group(0) @binding(5) var<storage, read> fw_starts: array<u32>;         // [T, B]
@group(0) @binding(6) var<storage, read_write> fw_h_final: array<f32>;  // [B, H]
@group(0) @binding(7) var<storage, read_write> fw_c_final: array<f32>;  // [B, H]

@compute @workgroup_size(WG)
fn forward_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let kb = flat_index(gid, nwg);
  let H = p.H;
  if (kb >= p.B * H) { return; }
  let b = kb / H;
  let j = kb % H;
  let t = p.t;
  let row = t * p.B + b;
  let gi = p.off_gates + row * 4u * H;
  let sg = b * 4u * H + j;
  let i = sigmoid(fw_cache[gi + j] + fw_g_step[sg]);
  let f = sigmoid(fw_cache[gi + H + j] + fw_g_step[sg + H]);
  let g = tanh_c(fw_cache[gi + 2u * H + j] + fw_g_step[sg + 2u * H]);
  let o = sigmoid(fw_cache[gi + 3u * H + j] + fw_g_step[sg + 3u * H]);
  fw_cache[gi + j] = i;
  fw_cache[gi + H + j] = f;
  fw_cache[gi + 2u * H + j] = g;
  fw_cache[gi + 3u * H + j] = o;
  let k = row * H + j;
  let c = f * fw_cache[p.off_cm + k] + i * g;
  let h = o * tanh_c(c);
  fw_cache[p.off_c + k] = c;
  fw_hs[k] = h;
  if (t + 1u < p.T) {
    let m = keep(fw_starts[(t + 1u) * p.B + b]);
    let kn = k + p.B * H;
    fw_cache[p.off_hm + kn] = m * h;
    fw_cache[p.off_cm + kn] = m * c;
    fw_hm_step[kb] = m * h;
  } else {
    if ((p.flags & 1u) != 0u) { fw_h_final[kb] = h; }
    if ((p.flags & 2u) != 0u) { fw_c_final[kb] = c; }
  }
}

// ---- backward_start: dh_carry = dhT (or 0), dc_carry = dcT (or 0) ----
// flags bit 0: dh_final present, bit 1: dc_final present.
@group(0) @binding(1) var<storage, read> bs_dh_final: array<f32>;       // [B, H]
@group(0) @binding(2) var<storage, read> bs_dc_final: array<f32>;       // [B, H]
@group(0) @binding(3) var<storage, read_write> bs_dh_carry: array<f32>; // [B, H]
@group(0) @binding(4) var<storage, read_write> bs_dc_carry: array<f32>; // [B, H]

@compute @workgroup_size(WG)
fn backward_start(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = flat_index(gid, nwg);
  if (k >= p.B * p.H) { return; }
  var dh = 0.0;
  var dc = 0.0;
  if ((p.flags & 1u) != 0u) { dh = bs_dh_final[k]; }
  if ((p.flags & 2u) != 0u) { dc = bs_dc_final[k]; }
  bs_dh_carry[k] = dh;
  bs_dc_carry[k] = dc;
}

// ---- backward_step (step t): d-gates of step t into dg_all[t] and dg_step; dc_carry = dcm_t ----
@group(0) @binding(1) var<storage, read> bw_cache: array<f32>;
@group(0) @binding(2) var<storage, read> bw_starts: array<u32>;         // [T, B]
@group(0) @binding(3) var<storage, read> bw_dhs: array<f32>;            // [T, B, H]
@group(0) @binding(4) var<storage, read> bw_dh_carry: array<f32>;       // [B, H] = dhm_{t+1}
@group(0) @binding(5) var<storage, read_write> bw_dc_carry: array<f32>; // [B, H] dcm_{t+1} → dcm_t
@group(0) @binding(6) var<storage, read_write> bw_dg_all: array<f32>;   // [T, B, 4H]
@group(0) @binding(7) var<storage, read_write> bw_dg_step: array<f32>;  // [B, 4H]

@compute @workgroup_size(WG)
fn backward_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let kb = flat_index(gid, nwg);
  let H = p.H;
  if (kb >= p.B * H) { return; }
  let b = kb / H;
  let j = kb % H;
  let t = p.t;
  let row = t * p.B + b;
  let gi = row * 4u * H;
  var m = 1.0;
  if (t + 1u < p.T) { m = keep(bw_starts[(t + 1u) * p.B + b]); }
  let k = row * H + j;
  let i = bw_cache[p.off_gates + gi + j];
  let f = bw_cache[p.off_gates + gi + H + j];
  let g = bw_cache[p.off_gates + gi + 2u * H + j];
  let o = bw_cache[p.off_gates + gi + 3u * H + j];
  let tc = tanh_c(bw_cache[p.off_c + k]);
  let dh = bw_dhs[k] + m * bw_dh_carry[kb];
  let dc = m * bw_dc_carry[kb] + dh * o * (1.0 - tc * tc);
  let di = dc * g * i * (1.0 - i);
  let df = dc * bw_cache[p.off_cm + k] * f * (1.0 - f);
  let dg = dc * i * (1.0 - g * g);
  let d_o = dh * tc * o * (1.0 - o);
  bw_dg_all[gi + j] = di;
  bw_dg_all[gi + H + j] = df;
  bw_dg_all[gi + 2u * H + j] = dg;
  bw_dg_all[gi + 3u * H + j] = d_o;
  let sg = b * 4u * H + j;
  bw_dg_step[sg] = di;
  bw_dg_step[sg + H] = df;
  bw_dg_step[sg + 2u * H] = dg;
  bw_dg_step[sg + 3u * H] = d_o;
  bw_dc_carry[kb] = dc * f;
}

// ---- backward_finish: dh0 = keep_0·dh_carry, dc0 = keep_0·dc_carry ----
// flags bit 0: dh0 present, bit 1: dc0 present.
@group(0) @binding(1) var<storage, read> bf_starts: array<u32>;         // [T, B]
@group(0) @binding(2) var<storage, read> bf_dh_carry: array<f32>;       // [B, H] = dhm_0
@group(0) @binding(3) var<storage, read> bf_dc_carry: array<f32>;       // [B, H] = dcm_0
@group(0) @binding(4) var<storage, read_write> bf_dh0: array<f32>;      // [B, H]
@group(0) @binding(5) var<storage, read_write> bf_dc0: array<f32>;      // [B, H]

@compute @workgroup_size(WG)
fn backward_finish(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = flat_index(gid, nwg);
  if (k >= p.B * p.H) { return; }
  let m = keep(bf_starts[k / p.H]);
  if ((p.flags & 1u) != 0u) { bf_dh0[k] = m * bf_dh_carry[k]; }
  if ((p.flags & 2u) != 0u) { bf_dc0[k] = m * bf_dc_carry[k]; }
}
