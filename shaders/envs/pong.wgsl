// Pong, Atari-like: the agent's paddle on the right, a scripted opponent on the left, one
// ball, on a virtual 160 x 160 playfield; integer physics in 1/256 units. Rules, options and
// the plan: src/envs/pong.ts (the TS twin: same names, same order) and src/envs/pong_gpu.ts.
// State: i32 struct-of-arrays, word k of copy i at state[k * n + i]. Observation: u8
// [FRAMES, S, S] packed 4 a u32 word (little endian), oldest frame first.
// Entry points: `reset` and `step` (one invocation per copy; they keep the packed pixel
// rectangles of the last FRAMES frames in the state), `render` (one invocation per obs
// word: pure state -> pixels, the old obs is never read) and `render_final` (the final
// observation of each copy a time limit truncated, into final_obs).

#include "envs/common.wgsl"

override FIELD: i32;
override WALL: i32;
override PADDLE_W: i32;
override PADDLE_H: i32;
override AGENT_X: i32;
override OPP_X: i32;
override BALL_W: i32;
override BALL_H: i32;
override AGENT_SPEED: i32;
override OPP_SPEED: i32;
override VX_SERVE: i32;
override VY_SERVE: i32;
override VX_GAIN: i32;
override VX_MAX: i32;
override GRAY_BG: u32;
override GRAY_WALL: u32;
override GRAY_AGENT: u32;
override GRAY_OPP: u32;
override GRAY_BALL: u32;
override S: u32;            // frame side in pixels, 84 or 42
override FRAMES: u32;       // stacked frames, 1..4
override FRAME_SKIP: u32;   // frames per agent step, 1..8
override STICKY: u32;       // repeat the previous action when (draw >> 1) < STICKY
override NOOP_MAX: u32;     // NOOP frames after a reset: U{0..NOOP_MAX}
override MAX_STEPS: i32;    // time limit in agent steps
override WIN_POINTS: i32;   // points that end the game

const SUB: i32 = 256;

const BALL_X: u32 = 0u;
const BALL_Y: u32 = 1u;
const BALL_VX: u32 = 2u;
const BALL_VY: u32 = 3u;
const AGENT_Y: u32 = 4u;
const OPP_Y: u32 = 5u;
const SCORE_AGENT: u32 = 6u;
const SCORE_OPP: u32 = 7u;
const PREV_ACTION: u32 = 8u;
const STEPS: u32 = 9u;
const COUNTER: u32 = 10u;
const HIST: u32 = 11u;
const FINAL_HIST: u32 = 19u; // the rectangles of the frames a truncation cut off

@group(0) @binding(1) var<storage, read_write> state: array<i32>;
@group(0) @binding(2) var<storage, read_write> obs: array<u32>;   // [n, FRAMES, S*S/4]
@group(0) @binding(7) var<storage, read> actions: array<i32>;     // [n], 0..5
@group(0) @binding(8) var<storage, read_write> final_obs: array<u32>; // like obs, where truncated

fn st(k: u32, i: u32) -> u32 { return k * env.n + i; }

fn draw(i: u32) -> u32 {
  let c = u32(state[st(COUNTER, i)]);
  state[st(COUNTER, i)] = i32(c + 1u);
  return rand_u32(env.seed, i, c);
}

// Ball at the centre, towards a random side with a random vertical speed.
fn serve(i: u32) {
  let r = draw(i);
  state[st(BALL_X, i)] = ((FIELD - BALL_W) >> 1u) * SUB;
  state[st(BALL_Y, i)] = ((FIELD - BALL_H) >> 1u) * SUB;
  state[st(BALL_VX, i)] = select(-VX_SERVE, VX_SERVE, (r & 1u) == 0u);
  state[st(BALL_VY, i)] = i32((r >> 1u) % u32(2 * VY_SERVE + 1)) - VY_SERVE;
}

// One frame with the agent's action `a` (already sticky-resolved); returns the reward.
fn frame(i: u32, a: i32) -> i32 {
  let TOP = WALL * SUB;
  let BALL_BOTTOM = (FIELD - WALL - BALL_H) * SUB;
  let PADDLE_BOTTOM = (FIELD - WALL - PADDLE_H) * SUB;
  // 1. The agent's paddle.
  var ay = state[st(AGENT_Y, i)];
  if (a == 2 || a == 4) { ay -= AGENT_SPEED; }
  if (a == 3 || a == 5) { ay += AGENT_SPEED; }
  ay = min(max(ay, TOP), PADDLE_BOTTOM);
  state[st(AGENT_Y, i)] = ay;
  // 2. The opponent follows the ball while it comes towards it.
  var x = state[st(BALL_X, i)];
  var y = state[st(BALL_Y, i)];
  var vx = state[st(BALL_VX, i)];
  var vy = state[st(BALL_VY, i)];
  var oy = state[st(OPP_Y, i)];
  if (vx < 0) {
    let aim = y + ((BALL_H * SUB) >> 1u) - ((PADDLE_H * SUB) >> 1u);
    oy += min(max(aim - oy, -OPP_SPEED), OPP_SPEED);
    oy = min(max(oy, TOP), PADDLE_BOTTOM);
    state[st(OPP_Y, i)] = oy;
  }
  // 3. The ball moves and bounces off the walls.
  let old_x = x;
  x += vx;
  y += vy;
  if (y < TOP) {
    y = 2 * TOP - y;
    vy = -vy;
  }
  if (y > BALL_BOTTOM) {
    y = 2 * BALL_BOTTOM - y;
    vy = -vy;
  }
  // 4. Returns: the ball crosses a paddle's face while overlapping it.
  let agent_face = AGENT_X * SUB;
  let opp_face = (OPP_X + PADDLE_W) * SUB;
  let bw = BALL_W * SUB;
  let bh = BALL_H * SUB;
  let ph = PADDLE_H * SUB;
  let ball_mid = y + (bh >> 1u);
  if (vx > 0 && old_x + bw <= agent_face && x + bw > agent_face && y + bh > ay && y < ay + ph) {
    x = agent_face - bw;
    vx = -min(vx + VX_GAIN, VX_MAX);
    vy = (ball_mid - (ay + (ph >> 1u))) >> 2u;
  }
  if (vx < 0 && old_x >= opp_face && x < opp_face && y + bh > oy && y < oy + ph) {
    x = opp_face;
    vx = min(-vx + VX_GAIN, VX_MAX);
    vy = (ball_mid - (oy + (ph >> 1u))) >> 2u;
  }
  state[st(BALL_X, i)] = x;
  state[st(BALL_Y, i)] = y;
  state[st(BALL_VX, i)] = vx;
  state[st(BALL_VY, i)] = vy;
  // 5. Points.
  var r = 0;
  if (x + bw <= 0) {
    r = 1;
    state[st(SCORE_AGENT, i)] += 1;
    serve(i);
  } else if (x >= FIELD * SUB) {
    r = -1;
    state[st(SCORE_OPP, i)] += 1;
    serve(i);
  }
  return r;
}

// A pixel span [p0, p1) of the virtual span [v0, v1): p0 | p1 << 8 (twin: pongPixelSpan).
fn pixel_span(v0: i32, v1: i32) -> u32 {
  let a = min(max(v0, 0), FIELD);
  let b = min(max(v1, 0), FIELD);
  let p0 = (a * i32(S)) / FIELD;
  let p1 = max(p0 + 1, (b * i32(S) + FIELD - 1) / FIELD);
  return u32(p0 | (p1 << 8u));
}

// The packed pixel rectangles of the current frame: [bx0, bx1, by0, by1], [ay0, ay1, oy0, oy1].
fn rect_a(i: u32) -> u32 {
  let bx = state[st(BALL_X, i)] >> 8u;
  let by = state[st(BALL_Y, i)] >> 8u;
  return pixel_span(bx, bx + BALL_W) | (pixel_span(by, by + BALL_H) << 16u);
}

fn rect_b(i: u32) -> u32 {
  let ay = state[st(AGENT_Y, i)] >> 8u;
  let oy = state[st(OPP_Y, i)] >> 8u;
  return pixel_span(ay, ay + PADDLE_H) | (pixel_span(oy, oy + PADDLE_H) << 16u);
}

// A new game: centred paddles, a serve, then U{0..NOOP_MAX} NOOP frames.
fn new_game(i: u32) {
  state[st(AGENT_Y, i)] = ((FIELD - PADDLE_H) >> 1u) * SUB;
  state[st(OPP_Y, i)] = ((FIELD - PADDLE_H) >> 1u) * SUB;
  state[st(SCORE_AGENT, i)] = 0;
  state[st(SCORE_OPP, i)] = 0;
  state[st(PREV_ACTION, i)] = 0;
  state[st(STEPS, i)] = 0;
  serve(i);
  let noops = draw(i) % (NOOP_MAX + 1u);
  for (var f = 0u; f < noops; f++) { frame(i, 0); }
  let a = bitcast<i32>(rect_a(i));
  let b = bitcast<i32>(rect_b(i));
  for (var f = 0u; f < FRAMES; f++) {
    state[st(HIST + 2u * f, i)] = a;
    state[st(HIST + 2u * f + 1u, i)] = b;
  }
}

@compute @workgroup_size(64)
fn reset(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = env_index(gid, nwg);
  clear_episode_count(i);
  if (i >= env.n) { return; }
  state[st(COUNTER, i)] = 0;
  new_game(i);
  reward[i] = 0.0;
  terminated[i] = 0u;
  truncated[i] = 0u;
}

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = env_index(gid, nwg);
  if (i >= env.n) { return; }
  let action = clamp(actions[i], 0, 5); // out-of-range actions are clamped (the CPU form throws)
  var r = 0;
  var term = false;
  for (var f = 0u; f < FRAME_SKIP; f++) {
    var a = action;
    if (STICKY > 0u && (draw(i) >> 1u) < STICKY) { a = state[st(PREV_ACTION, i)]; }
    state[st(PREV_ACTION, i)] = a;
    r += frame(i, a);
    if (state[st(SCORE_AGENT, i)] >= WIN_POINTS || state[st(SCORE_OPP, i)] >= WIN_POINTS) {
      term = true;
      break;
    }
  }
  let steps = state[st(STEPS, i)] + 1;
  state[st(STEPS, i)] = steps;
  let trunc = !term && steps >= MAX_STEPS;
  if (!term) {
    for (var f = 0u; f + 1u < FRAMES; f++) {
      state[st(HIST + 2u * f, i)] = state[st(HIST + 2u * f + 2u, i)];
      state[st(HIST + 2u * f + 1u, i)] = state[st(HIST + 2u * f + 3u, i)];
    }
    state[st(HIST + 2u * (FRAMES - 1u), i)] = bitcast<i32>(rect_a(i));
    state[st(HIST + 2u * FRAMES - 1u, i)] = bitcast<i32>(rect_b(i));
  }
  if (trunc) { // `render_final` draws final_obs from these
    for (var w = 0u; w < 2u * FRAMES; w++) {
      state[st(FINAL_HIST + w, i)] = state[st(HIST + w, i)];
    }
  }
  if (term || trunc) {
    record_episode(f32(state[st(SCORE_AGENT, i)] - state[st(SCORE_OPP, i)]), u32(steps));
    new_game(i);
  }
  reward[i] = f32(r);
  terminated[i] = u32(term);
  truncated[i] = u32(trunc);
}

fn in_span(x: u32, span: u32) -> bool {
  return x >= (span & 255u) && x < ((span >> 8u) & 255u);
}

// The constant pixel spans: top wall, bottom wall (rows), agent and opponent paddle (columns).
struct Fixed { wall_top: u32, wall_bottom: u32, agent_cols: u32, opp_cols: u32 }

// One gray pixel at (row, col) from the packed rectangles: walls, paddles, ball (on top).
fn pixel(row: u32, col: u32, a: u32, b: u32, k: Fixed) -> u32 {
  var v = GRAY_BG;
  if (in_span(row, k.wall_top) || in_span(row, k.wall_bottom)) { v = GRAY_WALL; }
  if (in_span(row, b & 0xffffu) && in_span(col, k.agent_cols)) { v = GRAY_AGENT; }
  if (in_span(row, b >> 16u) && in_span(col, k.opp_cols)) { v = GRAY_OPP; }
  if (in_span(row, a >> 16u) && in_span(col, a & 0xffffu)) { v = GRAY_BALL; }
  return v;
}

// Word w of copy i's observation, drawn from the rectangles at state words hist.. (HIST for
// obs, FINAL_HIST for final_obs).
fn render_word(i: u32, w: u32, hist: u32) -> u32 {
  let wpf = S * S / 4u;
  let f = w / wpf;
  let a = u32(state[st(hist + 2u * f, i)]);
  let b = u32(state[st(hist + 2u * f + 1u, i)]);
  let p = 4u * (w - f * wpf);
  var row = p / S;
  var col = p - row * S;
  let k = Fixed(
    pixel_span(0, WALL),
    pixel_span(FIELD - WALL, FIELD),
    pixel_span(AGENT_X, AGENT_X + PADDLE_W),
    pixel_span(OPP_X, OPP_X + PADDLE_W),
  );
  var word = 0u;
  for (var j = 0u; j < 4u; j++) {
    word |= pixel(row, col, a, b, k) << (8u * j);
    col += 1u;
    if (col == S) {
      col = 0u;
      row += 1u;
    }
  }
  return word;
}

// One invocation per obs word (n * FRAMES * S*S/4 of them, workgroups of 256 over a 1-D grid
// that spills into y): 4 pixels of one frame of one copy.
@compute @workgroup_size(256)
fn render(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = gid.x + gid.y * nwg.x * 256u;
  let wpc = FRAMES * S * S / 4u;
  if (g >= env.n * wpc) { return; }
  let i = g / wpc;
  obs[g] = render_word(i, g - i * wpc, HIST);
}

// The final observation of each copy the last step truncated (time limit), one invocation
// per copy: truncation is rare, so the others return at once.
@compute @workgroup_size(64)
fn render_final(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = env_index(gid, nwg);
  if (i >= env.n || truncated[i] == 0u) { return; }
  let wpc = FRAMES * S * S / 4u;
  for (var w = 0u; w < wpc; w++) { final_obs[i * wpc + w] = render_word(i, w, FINAL_HIST); }
}
