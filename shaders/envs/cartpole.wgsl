// CartPole-v1 (Barto, Sutton & Anderson 1983; Gymnasium's constants), Euler integration in
// Q16.16 fixed point. Action 0 pushes left, 1 right; reward 1 every step; terminated when
// |x| > X_LIMIT or |theta| > THETA_LIMIT, truncated after MAX_STEPS steps.
// TS twin: src/envs/cartpole.ts (same names, same order), which defines every constant.
// State: i32 struct-of-arrays, word k of copy i at state[k * n + i]. Obs: f32 [x, x_dot,
// theta, theta_dot].

#include "envs/common.wgsl"

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
override MAX_STEPS: u32;

const X: u32 = 0u;
const X_DOT: u32 = 1u;
const THETA: u32 = 2u;
const THETA_DOT: u32 = 3u;
const STEPS: u32 = 4u;
const COUNTER: u32 = 5u;

@group(0) @binding(1) var<storage, read_write> state: array<i32>;
@group(0) @binding(2) var<storage, read_write> obs: array<f32>;      // [n, 4]
@group(0) @binding(7) var<storage, read> actions: array<i32>;        // [n], 0 left 1 right
@group(0) @binding(8) var<storage, read_write> final_obs: array<f32>; // [n, 4], where truncated

fn st(k: u32, i: u32) -> u32 { return k * env.n + i; }

fn spawn(i: u32) {
  let c = u32(state[st(COUNTER, i)]);
  state[st(X, i)] = fx_rand(env.seed, i, c, -INIT_BOUND, INIT_BOUND);
  state[st(X_DOT, i)] = fx_rand(env.seed, i, c + 1u, -INIT_BOUND, INIT_BOUND);
  state[st(THETA, i)] = fx_rand(env.seed, i, c + 2u, -INIT_BOUND, INIT_BOUND);
  state[st(THETA_DOT, i)] = fx_rand(env.seed, i, c + 3u, -INIT_BOUND, INIT_BOUND);
  state[st(STEPS, i)] = 0;
  state[st(COUNTER, i)] = i32(c + 4u);
}

fn write_obs(i: u32) {
  obs[4u * i] = fx_to_f32(state[st(X, i)]);
  obs[4u * i + 1u] = fx_to_f32(state[st(X_DOT, i)]);
  obs[4u * i + 2u] = fx_to_f32(state[st(THETA, i)]);
  obs[4u * i + 3u] = fx_to_f32(state[st(THETA_DOT, i)]);
}

@compute @workgroup_size(64)
fn reset(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = env_index(gid, nwg);
  clear_episode_count(i);
  if (i >= env.n) { return; }
  state[st(COUNTER, i)] = 0;
  spawn(i);
  write_obs(i);
  reward[i] = 0.0;
  terminated[i] = 0u;
  truncated[i] = 0u;
}

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = env_index(gid, nwg);
  if (i >= env.n) { return; }
  var x = state[st(X, i)];
  var x_dot = state[st(X_DOT, i)];
  var theta = state[st(THETA, i)];
  var theta_dot = state[st(THETA_DOT, i)];
  let force = select(-FORCE_MAG, FORCE_MAG, actions[i] == 1); // out-of-range acts as 0 (left)
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
  x = x + x_dot / TAU_DIV;
  x_dot = x_dot + xacc / TAU_DIV;
  theta = theta + theta_dot / TAU_DIV;
  theta_dot = theta_dot + thetaacc / TAU_DIV;
  let steps = u32(state[st(STEPS, i)]) + 1u;
  state[st(X, i)] = x;
  state[st(X_DOT, i)] = x_dot;
  state[st(THETA, i)] = theta;
  state[st(THETA_DOT, i)] = theta_dot;
  state[st(STEPS, i)] = i32(steps);
  let term = x < -X_LIMIT || x > X_LIMIT || theta < -THETA_LIMIT || theta > THETA_LIMIT;
  let trunc = !term && steps >= MAX_STEPS;
  if (trunc) { // the observation the time limit cut off (twin: writeObs(i, finalObs))
    final_obs[4u * i] = fx_to_f32(x);
    final_obs[4u * i + 1u] = fx_to_f32(x_dot);
    final_obs[4u * i + 2u] = fx_to_f32(theta);
    final_obs[4u * i + 3u] = fx_to_f32(theta_dot);
  }
  if (term || trunc) {
    record_episode(f32(steps), steps);
    spawn(i);
  }
  write_obs(i);
  reward[i] = 1.0;
  terminated[i] = select(0u, 1u, term);
  truncated[i] = select(0u, 1u, trunc);
}
