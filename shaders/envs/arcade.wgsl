// The layer of the pixel games (Pong, Breakout): Atari's conventions over a game's frames.
// TS twin: src/envs/arcade.ts (same names, same order), which says the rules.
//
// The game declares `GAME_WORDS` (its state words), `DISPLAY_WORDS` (the words that say
// what one frame shows), a struct `View` and defines:
//   fn new_game(i: u32)                          a new game (its own words; may `draw`)
//   fn frame(i: u32, a: i32) -> i32              one frame with action a; the reward
//   fn game_over(i: u32) -> bool                 whether the game has ended
//   fn display_word(i: u32, k: u32) -> i32       word k of what the current frame shows
//   fn load_view(i: u32, hist: u32) -> View      a frame's display words at state words hist..
//   fn pixel(row: u32, col: u32, v: View) -> u32 the gray level of one pixel of that frame
//
// This layer keeps, after the game's words: PREV_ACTION (sticky actions), then the display
// words of the last FRAMES frames (HIST, oldest first, room for 4) and of the frames a time
// limit cut off (FINAL_HIST). Rendering is pure state -> pixels (`render`, one invocation
// per obs word, so neighbouring invocations write neighbouring words): the step writes no
// pixel and the stack is never shifted in memory (the step shifts the display words).

#include "envs/entry.wgsl"

override FIELD: i32;      // side of the square playfield in virtual units
override GRAY_BG: u32;    // gray level of the background
override S: u32;          // frame side in pixels, 84 or 42
override FRAMES: u32;     // stacked frames, 1..4
override FRAME_SKIP: u32; // frames per agent step, 1..8
override STICKY: u32;     // repeat the previous action when (draw >> 1) < STICKY
override NOOP_MAX: u32;   // NOOP frames after a reset: U{0..NOOP_MAX}

const PREV_ACTION: u32 = GAME_WORDS;
const HIST: u32 = GAME_WORDS + 1u;
const FINAL_HIST: u32 = HIST + 4u * DISPLAY_WORDS;
const ENV_WORDS: u32 = FINAL_HIST + 4u * DISPLAY_WORDS;

@group(0) @binding(2) var<storage, read_write> obs: array<u32>;       // [n, FRAMES, S*S/4]
@group(0) @binding(7) var<storage, read> actions: array<i32>;         // [n]
@group(0) @binding(8) var<storage, read_write> final_obs: array<u32>; // like obs, where truncated

// A pixel span [p0, p1) of the virtual span [v0, v1): p0 | p1 << 8 (twin: pixelSpan). Never
// empty, so nothing vanishes at 42 x 42.
fn pixel_span(v0: i32, v1: i32) -> u32 {
  let a = min(max(v0, 0), FIELD);
  let b = min(max(v1, 0), FIELD);
  let p0 = (a * i32(S)) / FIELD;
  let p1 = max(p0 + 1, (b * i32(S) + FIELD - 1) / FIELD);
  return u32(p0 | (p1 << 8u));
}

// How much of pixel p the virtual span [v0, v1) covers, in 1/S units: 0..FIELD (twin:
// pixelCover).
fn cover(p: u32, v0: i32, v1: i32) -> u32 {
  let a = min(max(v0, 0), FIELD) * i32(S);
  let b = min(max(v1, 0), FIELD) * i32(S);
  return u32(max(min((i32(p) + 1) * FIELD, b) - max(i32(p) * FIELD, a), 0));
}

// Gray `over` on gray `under` over c / FIELD^2 of a pixel, rounded down (twin: blendGray).
fn blend(under: u32, over: u32, c: u32) -> u32 {
  let f2 = u32(FIELD * FIELD);
  return (over * c + under * (f2 - c)) / f2;
}

// A coordinate p moving at v, mirrored back inside the wall at lo or hi it went past: (p, v)
// (twin: bounce). A side with no wall passes NO_WALL.
fn bounce(p: i32, v: i32, lo: i32, hi: i32) -> vec2<i32> {
  if (p < lo) { return vec2<i32>(2 * lo - p, -v); }
  if (p > hi) { return vec2<i32>(2 * hi - p, -v); }
  return vec2<i32>(p, v);
}
const NO_WALL: i32 = 0x7fffffff;

fn in_span(x: u32, span: u32) -> bool {
  return x >= (span & 255u) && x < ((span >> 8u) & 255u);
}

// Pushes the current frame's display words as the newest of the stack.
fn push_frame(i: u32) {
  for (var f = 0u; f + 1u < FRAMES; f++) {
    for (var k = 0u; k < DISPLAY_WORDS; k++) {
      state[st(HIST + f * DISPLAY_WORDS + k, i)] = state[st(HIST + (f + 1u) * DISPLAY_WORDS + k, i)];
    }
  }
  for (var k = 0u; k < DISPLAY_WORDS; k++) {
    state[st(HIST + (FRAMES - 1u) * DISPLAY_WORDS + k, i)] = display_word(i, k);
  }
}

// A new game, then U{0..NOOP_MAX} NOOP frames; every frame of the stack is the first one.
fn spawn(i: u32) {
  state[st(PREV_ACTION, i)] = 0;
  new_game(i);
  let noops = draw(i) % (NOOP_MAX + 1u);
  for (var f = 0u; f < noops; f++) { frame(i, 0); }
  for (var f = 0u; f < FRAMES; f++) {
    for (var k = 0u; k < DISPLAY_WORDS; k++) {
      state[st(HIST + f * DISPLAY_WORDS + k, i)] = display_word(i, k);
    }
  }
}

// FRAME_SKIP frames with the action (each, with STICKY, maybe the previous frame's); the
// rewards summed; a game that ends mid-skip plays no more frames.
fn step_one(i: u32, action: i32) -> f32 {
  var r = 0;
  for (var f = 0u; f < FRAME_SKIP; f++) {
    var a = action;
    if (STICKY > 0u && (draw(i) >> 1u) < STICKY) { a = state[st(PREV_ACTION, i)]; }
    state[st(PREV_ACTION, i)] = a;
    r += frame(i, a);
    if (game_over(i)) { break; }
  }
  return f32(r);
}

fn is_terminal(i: u32) -> bool { return game_over(i); }

// After a step: the newest frame joins the stack (after `spawn` the stack is already full).
fn emit_obs(i: u32, fresh: bool) {
  if (!fresh) { push_frame(i); }
}

// `render_final` draws final_obs from these.
fn save_final_obs(i: u32) {
  for (var w = 0u; w < 4u * DISPLAY_WORDS; w++) {
    state[st(FINAL_HIST + w, i)] = state[st(HIST + w, i)];
  }
}

// Word w of copy i's observation (4 pixels of one frame), from the display words at hist.
fn render_word(i: u32, w: u32, hist: u32) -> u32 {
  let wpf = S * S / 4u;
  let f = w / wpf;
  let v = load_view(i, hist + f * DISPLAY_WORDS);
  let p = 4u * (w - f * wpf);
  var row = p / S;
  var col = p - row * S;
  var word = 0u;
  for (var j = 0u; j < 4u; j++) {
    word |= pixel(row, col, v) << (8u * j);
    col += 1u;
    if (col == S) {
      col = 0u;
      row += 1u;
    }
  }
  return word;
}

// One invocation per obs word (n * OBS_WORDS of them; RENDER_WORKGROUP_SIZE is its WG).
@compute @workgroup_size(WG)
fn render(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg);
  if (g >= env.n * OBS_WORDS) { return; }
  let i = g / OBS_WORDS;
  obs[g] = render_word(i, g - i * OBS_WORDS, HIST);
}

// The final observation of each copy the last step truncated (time limit), one invocation
// per copy: truncation is rare, so the others return at once.
@compute @workgroup_size(WG)
fn render_final(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= env.n || truncated[i] == 0u) { return; }
  for (var w = 0u; w < OBS_WORDS; w++) {
    final_obs[i * OBS_WORDS + w] = render_word(i, w, FINAL_HIST);
  }
}
