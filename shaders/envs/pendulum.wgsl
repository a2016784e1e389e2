// Pendulum-v1 (Gymnasium) in Q16.16 fixed point: swing a rod up with a torque in
// [-MAX_TORQUE, MAX_TORQUE] (clipped by the env). The f32 action is quantised exactly:
// floor(clamp(u) * 2^16). Reward -(theta_norm^2 + 0.1 theta_dot^2 + 0.001 u^2) in fixed
// point; truncated after MAX_STEPS steps (the scaffold), never terminated. theta is kept
// wrapped in [-pi, pi) (it is only seen through cos, sin and the normalised angle).
// TS twin: src/envs/pendulum.ts (same names, same order), which defines every constant.
// State: i32 struct-of-arrays, word k of copy i at state[k * n + i]. Obs: f32 [cos theta,
// sin theta, theta_dot].

#include "envs/direct.wgsl"

override MAX_SPEED: i32;        // Q16.16 rad/s
override MAX_TORQUE: f32;       // N m, the clip bound of the action
override DT_DIV: i32;           // dt = 1 / DT_DIV seconds
override GRAV_COEF: i32;        // 3 g / (2 l), Q16.16
override TORQUE_COEF: i32;      // 3 / (m l^2), Q16.16
override SPEED_COST_DIV: i32;   // 0.1 = 1 / SPEED_COST_DIV
override TORQUE_COST_DIV: i32;  // 0.001 = 1 / TORQUE_COST_DIV
override INIT_SPEED: i32;       // start theta_dot uniform in [-INIT_SPEED, INIT_SPEED)

const THETA: u32 = 0u;
const THETA_DOT: u32 = 1u;
const ENV_WORDS: u32 = 2u;

@group(0) @binding(2) var<storage, read_write> obs: array<f32>;       // [n, 3]
@group(0) @binding(7) var<storage, read> actions: array<f32>;         // [n, 1] torque
@group(0) @binding(8) var<storage, read_write> final_obs: array<f32>; // [n, 3], where truncated

fn spawn(i: u32) {
  state[st(THETA, i)] = fx_uniform(draw(i), -FX_PI, FX_PI);
  state[st(THETA_DOT, i)] = fx_uniform(draw(i), -INIT_SPEED, INIT_SPEED);
}

// The action in Q16.16: clamp to the torque bound, scale by 2^16 and floor (all exact).
// NaN becomes 0 (the CPU form throws).
fn quantize_torque(a: f32) -> i32 {
  let u = select(0.0, a, a == a);
  return i32(floor(clamp(u, -MAX_TORQUE, MAX_TORQUE) * 65536.0));
}

fn step_one(i: u32, a: f32) -> f32 {
  let u = quantize_torque(a);
  let theta = state[st(THETA, i)];
  let theta_dot = state[st(THETA_DOT, i)];
  let cost = fx_mul(theta, theta) + fx_mul(theta_dot, theta_dot) / SPEED_COST_DIV +
    fx_mul(u, u) / TORQUE_COST_DIV;
  var new_theta_dot = theta_dot +
    (fx_mul(GRAV_COEF, fx_sin(theta)) + fx_mul(TORQUE_COEF, u)) / DT_DIV;
  new_theta_dot = clamp(new_theta_dot, -MAX_SPEED, MAX_SPEED);
  state[st(THETA, i)] = fx_wrap_angle(theta + new_theta_dot / DT_DIV);
  state[st(THETA_DOT, i)] = new_theta_dot;
  return fx_to_f32(-cost);
}

fn is_terminal(i: u32) -> bool { return false; }

fn write_obs(i: u32) {
  let theta = state[st(THETA, i)];
  obs[3u * i] = fx_to_f32(fx_cos(theta));
  obs[3u * i + 1u] = fx_to_f32(fx_sin(theta));
  obs[3u * i + 2u] = fx_to_f32(state[st(THETA_DOT, i)]);
}
