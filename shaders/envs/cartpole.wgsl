// CartPole-v1 (Barto, Sutton & Anderson 1983; Gymnasium's constants), Euler integration in
// Q16.16 fixed point. Action 0 pushes left, 1 right; reward 1 every step; terminated when
// |x| > X_LIMIT or |theta| > THETA_LIMIT, truncated after MAX_STEPS steps (the scaffold).
// TS twin: src/envs/cartpole.ts (same names, same order), which defines every constant.
// State: i32 struct-of-arrays, word k of copy i at state[k * n + i]. Obs: f32 [x, x_dot,
// theta, theta_dot].

#include "envs/direct.wgsl"

override GRAVITY: i32;
override MASSPOLE: i32;
override TOTAL_MASS: i32;
override LENGTH: i32;
override POLEMASS_LENGTH: i32;
override FORCE_MAG: i32;
override FOUR_THIRDS: i32;
override TAU_DIV: i32;       // tau = 1 / TAU_DIV seconds
override X_LIMIT: i32;
override THETA_LIMIT: i32;
override INIT_BOUND: i32;    // start state uniform in [-INIT_BOUND, INIT_BOUND)

const X: u32 = 0u;
const X_DOT: u32 = 1u;
const THETA: u32 = 2u;
const THETA_DOT: u32 = 3u;
const ENV_WORDS: u32 = 4u;

@group(0) @binding(2) var<storage, read_write> obs: array<f32>;       // [n, 4]
@group(0) @binding(7) var<storage, read> actions: array<i32>;         // [n], 0 left 1 right
@group(0) @binding(8) var<storage, read_write> final_obs: array<f32>; // [n, 4], where truncated

fn start_value(i: u32) -> i32 { return fx_uniform(draw(i), -INIT_BOUND, INIT_BOUND); }

fn spawn(i: u32) {
  state[st(X, i)] = start_value(i);
  state[st(X_DOT, i)] = start_value(i);
  state[st(THETA, i)] = start_value(i);
  state[st(THETA_DOT, i)] = start_value(i);
}

fn step_one(i: u32, a: i32) -> f32 {
  let x = state[st(X, i)];
  let x_dot = state[st(X_DOT, i)];
  let theta = state[st(THETA, i)];
  let theta_dot = state[st(THETA_DOT, i)];
  let force = select(-FORCE_MAG, FORCE_MAG, a == 1); // out-of-range acts as 0 (left)
  let costheta = fx_cos(theta);
  let sintheta = fx_sin(theta);
  let temp = fx_div(
    force + fx_mul(fx_mul(POLEMASS_LENGTH, fx_mul(theta_dot, theta_dot)), sintheta),
    TOTAL_MASS,
  );
  let thetaacc = fx_div(
    fx_mul(GRAVITY, sintheta) - fx_mul(costheta, temp),
    fx_mul(LENGTH, FOUR_THIRDS - fx_div(fx_mul(MASSPOLE, fx_mul(costheta, costheta)), TOTAL_MASS)),
  );
  let xacc = temp - fx_div(fx_mul(fx_mul(POLEMASS_LENGTH, thetaacc), costheta), TOTAL_MASS);
  state[st(X, i)] = x + x_dot / TAU_DIV;
  state[st(X_DOT, i)] = x_dot + xacc / TAU_DIV;
  state[st(THETA, i)] = theta + theta_dot / TAU_DIV;
  state[st(THETA_DOT, i)] = theta_dot + thetaacc / TAU_DIV;
  return 1.0;
}

fn is_terminal(i: u32) -> bool {
  let x = state[st(X, i)];
  let theta = state[st(THETA, i)];
  return x < -X_LIMIT || x > X_LIMIT || theta < -THETA_LIMIT || theta > THETA_LIMIT;
}

fn write_obs(i: u32) {
  obs[4u * i] = fx_to_f32(state[st(X, i)]);
  obs[4u * i + 1u] = fx_to_f32(state[st(X_DOT, i)]);
  obs[4u * i + 2u] = fx_to_f32(state[st(THETA, i)]);
  obs[4u * i + 3u] = fx_to_f32(state[st(THETA_DOT, i)]);
}
