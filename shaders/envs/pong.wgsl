// Pong, Atari-like: the agent's paddle on the right, a scripted opponent on the left, one
// ball, on a virtual 160 x 160 playfield; integer physics in 1/256 units. Rules and options:
// src/envs/pong.ts (the TS twin: same names, same order); frame skip, sticky actions, no-op
// starts, the frame stack and rendering: envs/arcade.wgsl. State: i32 struct-of-arrays,
// word k of copy i at state[k * n + i]. Observation: u8 [FRAMES, S, S] packed 4 a u32 word
// (little endian), oldest frame first.

#include "envs/arcade.wgsl"

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
override GRAY_WALL: u32;
override GRAY_AGENT: u32;
override GRAY_OPP: u32;
override GRAY_BALL: u32;
override WIN_POINTS: i32;   // points that end the game
override ANTIALIAS: u32;    // 1: a pixel is the average of the square it covers

const SUB: i32 = 256;

const BALL_X: u32 = 0u;
const BALL_Y: u32 = 1u;
const BALL_VX: u32 = 2u;
const BALL_VY: u32 = 3u;
const AGENT_Y: u32 = 4u;
const OPP_Y: u32 = 5u;
const SCORE_AGENT: u32 = 6u;
const SCORE_OPP: u32 = 7u;
const GAME_WORDS: u32 = 8u;
// What a frame shows, in whole units: [bx, by] and [ay, oy], 16 bits each (bx signed).
const DISPLAY_WORDS: u32 = 2u;

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
  let by = bounce(y, vy, TOP, BALL_BOTTOM);
  y = by.x;
  vy = by.y;
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

// What the current frame shows, in whole units: [bx, by], [ay, oy], 16 bits each.
fn pack(lo: i32, hi: i32) -> u32 {
  return (u32(lo) & 0xffffu) | (u32(hi) << 16u);
}

fn rect_a(i: u32) -> u32 {
  return pack(state[st(BALL_X, i)] >> 8u, state[st(BALL_Y, i)] >> 8u);
}

fn rect_b(i: u32) -> u32 {
  return pack(state[st(AGENT_Y, i)] >> 8u, state[st(OPP_Y, i)] >> 8u);
}

// A new game: centred paddles, no points, a serve.
fn new_game(i: u32) {
  state[st(AGENT_Y, i)] = ((FIELD - PADDLE_H) >> 1u) * SUB;
  state[st(OPP_Y, i)] = ((FIELD - PADDLE_H) >> 1u) * SUB;
  state[st(SCORE_AGENT, i)] = 0;
  state[st(SCORE_OPP, i)] = 0;
  serve(i);
}

fn game_over(i: u32) -> bool {
  return state[st(SCORE_AGENT, i)] >= WIN_POINTS || state[st(SCORE_OPP, i)] >= WIN_POINTS;
}

fn display_word(i: u32, k: u32) -> i32 {
  return bitcast<i32>(select(rect_b(i), rect_a(i), k == 0u));
}

// One frame's positions (whole units) and their pixel spans, with the constant spans: walls
// (rows), agent and opponent (columns).
struct View {
  bx: i32, by: i32, ay: i32, oy: i32,
  ball_cols: u32, ball_rows: u32, agent_rows: u32, opp_rows: u32,
  wall_top: u32, wall_bottom: u32, agent_cols: u32, opp_cols: u32,
}

fn load_view(i: u32, hist: u32) -> View {
  let a = state[st(hist, i)];
  let b = state[st(hist + 1u, i)];
  let bx = (a << 16u) >> 16u;
  let by = a >> 16u;
  let ay = (b << 16u) >> 16u;
  let oy = b >> 16u;
  return View(
    bx, by, ay, oy,
    pixel_span(bx, bx + BALL_W),
    pixel_span(by, by + BALL_H),
    pixel_span(ay, ay + PADDLE_H),
    pixel_span(oy, oy + PADDLE_H),
    pixel_span(0, WALL),
    pixel_span(FIELD - WALL, FIELD),
    pixel_span(AGENT_X, AGENT_X + PADDLE_W),
    pixel_span(OPP_X, OPP_X + PADDLE_W),
  );
}

// One gray pixel: walls, paddles, ball (on top); with ANTIALIAS each blended by its cover.
fn pixel(row: u32, col: u32, v: View) -> u32 {
  var g = GRAY_BG;
  if (ANTIALIAS != 0u) {
    g = blend(g, GRAY_WALL, cover(col, 0, FIELD) * cover(row, 0, WALL));
    g = blend(g, GRAY_WALL, cover(col, 0, FIELD) * cover(row, FIELD - WALL, FIELD));
    g = blend(g, GRAY_AGENT, cover(col, AGENT_X, AGENT_X + PADDLE_W) * cover(row, v.ay, v.ay + PADDLE_H));
    g = blend(g, GRAY_OPP, cover(col, OPP_X, OPP_X + PADDLE_W) * cover(row, v.oy, v.oy + PADDLE_H));
    g = blend(g, GRAY_BALL, cover(col, v.bx, v.bx + BALL_W) * cover(row, v.by, v.by + BALL_H));
    return g;
  }
  if (in_span(row, v.wall_top) || in_span(row, v.wall_bottom)) { g = GRAY_WALL; }
  if (in_span(row, v.agent_rows) && in_span(col, v.agent_cols)) { g = GRAY_AGENT; }
  if (in_span(row, v.opp_rows) && in_span(col, v.opp_cols)) { g = GRAY_OPP; }
  if (in_span(row, v.ball_rows) && in_span(col, v.ball_cols)) { g = GRAY_BALL; }
  return g;
}
