// Breakout, Atari-like: 6 rows of 18 bricks, a paddle, one ball, 5 lives, on a virtual
// 168 x 168 playfield; integer physics in 1/256 units. Rules and options: src/envs/breakout.ts
// (the TS twin: same names, same order); frame skip, sticky actions, no-op starts, the
// frame stack and rendering: envs/arcade.wgsl. State: i32 struct-of-arrays, word k of copy
// i at state[k * n + i]. Observation: u8 [FRAMES, S, S] packed 4 a u32 word, oldest first.

#include "envs/arcade.wgsl"

override WALL_TOP: i32;
override WALL_SIDE: i32;
override BRICK_Y: i32;
override BRICK_W: i32;
override BRICK_H: i32;
override PADDLE_Y: i32;
override PADDLE_W: i32;
override PADDLE_H: i32;
override BALL: i32;
override SERVE_Y: i32;
override PADDLE_SPEED: i32;
override SPEED_0: i32;
override SPEED_STEP: i32;
override VX_MIN: i32;
override GRAY_WALL: u32;
override GRAY_PADDLE: u32;
override GRAY_BALL: u32;
override GRAY_ROW0: u32;
override GRAY_ROW1: u32;
override GRAY_ROW2: u32;
override GRAY_ROW3: u32;
override GRAY_ROW4: u32;
override GRAY_ROW5: u32;

const SUB: i32 = 256;
const ROWS: i32 = 6;
const COLS: i32 = 18;
const FULL_ROW: i32 = (1 << 18u) - 1;

const BALL_X: u32 = 0u;
const BALL_Y: u32 = 1u;
const BALL_VX: u32 = 2u;
const BALL_VY: u32 = 3u;
const PADDLE_X: u32 = 4u;
const IN_PLAY: u32 = 5u;
const LIVES: u32 = 6u;
const HITS: u32 = 7u;
const FLAGS: u32 = 8u;
const SCORE: u32 = 9u;
const BRICKS_LEFT: u32 = 10u;
const BRICKS: u32 = 11u;
const GAME_WORDS: u32 = 17u;
// What a frame shows: the ball's rectangle, the paddle's columns, 6 rows of bricks.
const DISPLAY_WORDS: u32 = 8u;

fn row_points(r: i32) -> i32 { return select(select(1, 4, r < 4), 7, r < 2); }

// The vertical speed of the ball's level (0..4).
fn speed(i: u32) -> i32 {
  let hits = state[st(HITS, i)];
  let flags = state[st(FLAGS, i)];
  let level = select(0, 1, hits >= 4) + select(0, 1, hits >= 12) + (flags & 1) + (flags >> 1u);
  return SPEED_0 + level * SPEED_STEP;
}

fn build_wall(i: u32) {
  for (var r = 0u; r < u32(ROWS); r++) { state[st(BRICKS + r, i)] = FULL_ROW; }
  state[st(BRICKS_LEFT, i)] = ROWS * COLS;
}

// A ball from a random column below the bricks, downwards, towards a random side.
fn serve(i: u32) {
  let r = draw(i);
  let room = FIELD - 2 * WALL_SIDE - BALL;
  state[st(BALL_X, i)] = (WALL_SIDE + i32((r >> 1u) % u32(room))) * SUB;
  state[st(BALL_Y, i)] = SERVE_Y * SUB;
  let v = speed(i);
  state[st(BALL_VX, i)] = select(-(v >> 1u), v >> 1u, (r & 1u) == 0u);
  state[st(BALL_VY, i)] = v;
  state[st(IN_PLAY, i)] = 1;
}

// Breaks the first standing brick the ball overlaps (row-major); its points, or -1.
fn break_brick(i: u32, x: i32, y: i32) -> i32 {
  let b = BALL * SUB;
  let left = WALL_SIDE * SUB;
  let y0 = max(y, BRICK_Y * SUB);
  let y1 = min(y + b - 1, (BRICK_Y + ROWS * BRICK_H) * SUB - 1);
  if (y0 > y1) { return -1; }
  let r0 = (y0 - BRICK_Y * SUB) / (BRICK_H * SUB);
  let r1 = (y1 - BRICK_Y * SUB) / (BRICK_H * SUB);
  let c0 = (x - left) / (BRICK_W * SUB);
  let c1 = (x + b - 1 - left) / (BRICK_W * SUB);
  for (var r = r0; r <= r1; r++) {
    for (var c = c0; c <= c1; c++) {
      let row = state[st(BRICKS + u32(r), i)];
      if (((row >> u32(c)) & 1) == 0) { continue; }
      state[st(BRICKS + u32(r), i)] = row & ~(1 << u32(c));
      state[st(BRICKS_LEFT, i)] -= 1;
      if (r == 1) { state[st(FLAGS, i)] |= 1; }
      if (r == 0) { state[st(FLAGS, i)] |= 2; }
      return row_points(r);
    }
  }
  return -1;
}

// One frame with action `a` (already sticky-resolved); returns the reward.
fn frame(i: u32, a: i32) -> i32 {
  let LEFT = WALL_SIDE * SUB;
  let RIGHT = (FIELD - WALL_SIDE - BALL) * SUB;
  let TOP = WALL_TOP * SUB;
  let PADDLE_MAX = (FIELD - WALL_SIDE - PADDLE_W) * SUB;
  let B = BALL * SUB;
  // 1. The paddle.
  var px = state[st(PADDLE_X, i)];
  if (a == 2) { px += PADDLE_SPEED; }
  if (a == 3) { px -= PADDLE_SPEED; }
  px = min(max(px, LEFT), PADDLE_MAX);
  state[st(PADDLE_X, i)] = px;
  // 2. Serve on FIRE; no ball, no more.
  if (state[st(IN_PLAY, i)] == 0) {
    if (a != 1) { return 0; }
    serve(i);
  }
  // 3. The ball moves and bounces off the walls.
  var x = state[st(BALL_X, i)];
  var y = state[st(BALL_Y, i)];
  var vx = state[st(BALL_VX, i)];
  var vy = state[st(BALL_VY, i)];
  let old_y = y;
  x += vx;
  y += vy;
  let bx = bounce(x, vx, LEFT, RIGHT);
  let by = bounce(y, vy, TOP, NO_WALL);
  x = bx.x;
  vx = bx.y;
  y = by.x;
  vy = by.y;
  // 4. Bricks.
  var r = 0;
  let points = break_brick(i, x, y);
  if (points >= 0) {
    r = points;
    y = old_y;
    vy = select(speed(i), -speed(i), vy > 0);
  }
  // 5. The paddle returns the ball.
  let top = PADDLE_Y * SUB;
  if (vy > 0 && old_y + B <= top && y + B > top && x + B > px && x < px + PADDLE_W * SUB) {
    y = top - B;
    state[st(HITS, i)] += 1;
    vy = -speed(i); // 6. the level counts the hits
    let off = x + (B >> 1u) - (px + ((PADDLE_W * SUB) >> 1u));
    vx = off >> 2u;
    if (vx > -VX_MIN && vx < VX_MIN) { vx = select(VX_MIN, -VX_MIN, off < 0); }
  }
  state[st(BALL_X, i)] = x;
  state[st(BALL_Y, i)] = y;
  state[st(BALL_VX, i)] = vx;
  state[st(BALL_VY, i)] = vy;
  // 7. A lost ball.
  if (y >= FIELD * SUB) {
    state[st(IN_PLAY, i)] = 0;
    state[st(LIVES, i)] -= 1;
  }
  // 8. A cleared wall is built again.
  if (state[st(BRICKS_LEFT, i)] == 0) { build_wall(i); }
  state[st(SCORE, i)] += r;
  return r;
}

// A new game: a full wall, the paddle in the middle, no ball in play.
fn new_game(i: u32) {
  state[st(BALL_X, i)] = 0;
  state[st(BALL_Y, i)] = 0;
  state[st(BALL_VX, i)] = 0;
  state[st(BALL_VY, i)] = 0;
  state[st(PADDLE_X, i)] = ((FIELD - PADDLE_W) >> 1u) * SUB;
  state[st(IN_PLAY, i)] = 0;
  state[st(LIVES, i)] = 5;
  state[st(HITS, i)] = 0;
  state[st(FLAGS, i)] = 0;
  state[st(SCORE, i)] = 0;
  build_wall(i);
}

fn game_over(i: u32) -> bool { return state[st(LIVES, i)] <= 0; }

// Display words: the ball's packed rectangle [x0, x1, y0, y1] (0 without a ball), the
// paddle's columns, the rows of bricks.
fn display_word(i: u32, k: u32) -> i32 {
  if (k == 0u) {
    if (state[st(IN_PLAY, i)] == 0) { return 0; }
    let bx = state[st(BALL_X, i)] >> 8u;
    let by = state[st(BALL_Y, i)] >> 8u;
    return i32(pixel_span(bx, bx + BALL) | (pixel_span(by, by + BALL) << 16u));
  }
  if (k == 1u) {
    let px = state[st(PADDLE_X, i)] >> 8u;
    return i32(pixel_span(px, px + PADDLE_W));
  }
  return state[st(BRICKS + k - 2u, i)];
}

// One frame's display words and the constant spans.
struct View {
  ball: u32,
  paddle: u32,
  bricks: array<u32, 6>,
  wall_top: u32,
  wall_left: u32,
  wall_right: u32,
  paddle_rows: u32,
}

fn load_view(i: u32, hist: u32) -> View {
  var v: View;
  v.ball = u32(state[st(hist, i)]);
  v.paddle = u32(state[st(hist + 1u, i)]);
  for (var r = 0u; r < 6u; r++) { v.bricks[r] = u32(state[st(hist + 2u + r, i)]); }
  v.wall_top = pixel_span(0, WALL_TOP);
  v.wall_left = pixel_span(0, WALL_SIDE);
  v.wall_right = pixel_span(FIELD - WALL_SIDE, FIELD);
  v.paddle_rows = pixel_span(PADDLE_Y, PADDLE_Y + PADDLE_H);
  return v;
}

fn row_gray(r: u32) -> u32 {
  switch (r) {
    case 0u: { return GRAY_ROW0; }
    case 1u: { return GRAY_ROW1; }
    case 2u: { return GRAY_ROW2; }
    case 3u: { return GRAY_ROW3; }
    case 4u: { return GRAY_ROW4; }
    default: { return GRAY_ROW5; }
  }
}

// One gray pixel: walls, bricks, paddle, ball (on top). Bricks lie on whole pixels at both
// frame sizes (FIELD / S virtual units a pixel divides the brick grid), so a pixel's brick
// is plain division.
fn pixel(row: u32, col: u32, v: View) -> u32 {
  var g = GRAY_BG;
  if (in_span(row, v.wall_top) || in_span(col, v.wall_left) || in_span(col, v.wall_right)) {
    g = GRAY_WALL;
  }
  let u = u32(FIELD) / S;
  let vy = i32(row * u) - BRICK_Y;
  let vx = i32(col * u) - WALL_SIDE;
  if (vy >= 0 && vy < ROWS * BRICK_H && vx >= 0 && vx < COLS * BRICK_W) {
    let r = u32(vy / BRICK_H);
    if (((v.bricks[r] >> u32(vx / BRICK_W)) & 1u) != 0u) { g = row_gray(r); }
  }
  if (in_span(row, v.paddle_rows) && in_span(col, v.paddle)) { g = GRAY_PADDLE; }
  if (in_span(row, v.ball >> 16u) && in_span(col, v.ball & 0xffffu)) { g = GRAY_BALL; }
  return g;
}
