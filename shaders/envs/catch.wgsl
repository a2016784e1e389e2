// Catch (bsuite): a ball falls one row per step from a random column of the top row of a
// ROWS x COLS grid; the paddle on the bottom row moves left / stays / moves right.
// Reward +1 when the ball reaches the bottom row on the paddle's column, -1 otherwise.
// TS twin: src/envs/catch.ts (same names, same order). State: i32 struct-of-arrays, word
// k of copy i at state[k * n + i]. Observation: f32 [1, ROWS, COLS], ball and paddle 1.

#include "envs/direct.wgsl"

override ROWS: i32;
override COLS: i32;

const BALL_ROW: u32 = 0u;
const BALL_COL: u32 = 1u;
const PADDLE: u32 = 2u;
const ENV_WORDS: u32 = 3u;

@group(0) @binding(2) var<storage, read_write> obs: array<f32>;       // [n, 1, ROWS, COLS]
@group(0) @binding(7) var<storage, read> actions: array<i32>;         // [n], 0 left 1 stay 2 right
@group(0) @binding(8) var<storage, read_write> final_obs: array<f32>; // never written: no limit

// New episode: ball in the top row at a random column, paddle in the middle.
fn spawn(i: u32) {
  state[st(BALL_ROW, i)] = 0;
  state[st(BALL_COL, i)] = i32(draw(i) % u32(COLS));
  state[st(PADDLE, i)] = COLS / 2;
}

fn step_one(i: u32, action: i32) -> f32 {
  let a = clamp(action, 0, 2); // out-of-range actions are clamped (the CPU form throws)
  let paddle = clamp(state[st(PADDLE, i)] + a - 1, 0, COLS - 1);
  let ball_row = state[st(BALL_ROW, i)] + 1;
  state[st(PADDLE, i)] = paddle;
  state[st(BALL_ROW, i)] = ball_row;
  if (ball_row < ROWS - 1) { return 0.0; }
  return select(-1.0, 1.0, state[st(BALL_COL, i)] == paddle);
}

fn is_terminal(i: u32) -> bool { return state[st(BALL_ROW, i)] == ROWS - 1; }

fn write_obs(i: u32) {
  let size = u32(ROWS * COLS);
  let base = i * size;
  for (var k = 0u; k < size; k++) { obs[base + k] = 0.0; }
  obs[base + u32(state[st(BALL_ROW, i)] * COLS + state[st(BALL_COL, i)])] = 1.0;
  obs[base + u32((ROWS - 1) * COLS + state[st(PADDLE, i)])] = 1.0;
}
