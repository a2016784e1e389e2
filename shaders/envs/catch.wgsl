// Catch (bsuite): a ball falls one row per step from a random column of the top row of a
// ROWS x COLS grid; the paddle on the bottom row moves left / stays / moves right.
// Reward +1 when the ball reaches the bottom row on the paddle's column, -1 otherwise.
// TS twin: src/envs/catch.ts (same names, same order). State: i32 struct-of-arrays, word
// k of copy i at state[k * n + i]. Observation: f32 [1, ROWS, COLS], ball and paddle 1.

#include "envs/common.wgsl"

override ROWS: i32;
override COLS: i32;

const BALL_ROW: u32 = 0u;
const BALL_COL: u32 = 1u;
const PADDLE: u32 = 2u;
const COUNTER: u32 = 3u;

@group(0) @binding(1) var<storage, read_write> state: array<i32>;
@group(0) @binding(2) var<storage, read_write> obs: array<f32>;      // [n, 1, ROWS, COLS]
@group(0) @binding(7) var<storage, read> actions: array<i32>;        // [n], 0 left 1 stay 2 right

fn st(k: u32, i: u32) -> u32 { return k * env.n + i; }

// New episode: ball in the top row at a random column, paddle in the middle.
fn spawn(i: u32) {
  let counter = u32(state[st(COUNTER, i)]);
  state[st(BALL_ROW, i)] = 0;
  state[st(BALL_COL, i)] = i32(rand_u32(env.seed, i, counter) % u32(COLS));
  state[st(PADDLE, i)] = COLS / 2;
  state[st(COUNTER, i)] = i32(counter + 1u);
}

fn write_obs(i: u32) {
  let size = u32(ROWS * COLS);
  let base = i * size;
  for (var k = 0u; k < size; k++) { obs[base + k] = 0.0; }
  obs[base + u32(state[st(BALL_ROW, i)] * COLS + state[st(BALL_COL, i)])] = 1.0;
  obs[base + u32((ROWS - 1) * COLS + state[st(PADDLE, i)])] = 1.0;
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
  let a = clamp(actions[i], 0, 2); // out-of-range actions are clamped (the CPU form throws)
  let paddle = clamp(state[st(PADDLE, i)] + a - 1, 0, COLS - 1);
  let ball_row = state[st(BALL_ROW, i)] + 1;
  state[st(PADDLE, i)] = paddle;
  state[st(BALL_ROW, i)] = ball_row;
  var r = 0.0;
  var done = 0u;
  if (ball_row == ROWS - 1) {
    r = select(-1.0, 1.0, state[st(BALL_COL, i)] == paddle);
    done = 1u;
    record_episode(r, u32(ball_row));
    spawn(i);
  }
  write_obs(i);
  reward[i] = r;
  terminated[i] = done;
  truncated[i] = 0u;
}
