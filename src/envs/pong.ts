/**
 * Pong: our own Atari-like Pong (the ALE is not installable here), stepped in lockstep on the
 * GPU with a bit-exact TypeScript twin. This module is the twin of `shaders/envs/pong.wgsl`
 * (same names, same order), the one definition of the game's constants (they reach the
 * shader as pipeline constants through {@link pongKernel}) and the CPU form.
 *
 * ## The game
 * A virtual playfield of 160 × 160 units (x right, y down) with walls at the top and the
 * bottom ({@link PONG_GEOMETRY}). The AGENT's paddle is on the right, the scripted
 * OPPONENT's on the left, and one square ball. All physics is integer: positions and speeds
 * in 1/256 units (i32), one frame at a time:
 * 1. the agent's paddle moves up (actions RIGHT, RIGHTFIRE), down (LEFT, LEFTFIRE) or stays
 *    (NOOP, FIRE) by `AGENT_SPEED`, clamped to the walls;
 * 2. the opponent tracks the ball: while the ball moves towards it, its paddle's centre
 *    follows the ball's centre by at most `OPP_SPEED` (slower than the agent) per frame, and
 *    otherwise it stays; this makes it beatable with steep returns;
 * 3. the ball moves and bounces off the walls (reflected in place);
 * 4. a ball crossing a paddle's face this frame while overlapping it vertically is returned:
 *    the horizontal direction flips and |vx| grows by `VX_GAIN` up to `VX_MAX`, and the
 *    vertical speed is set by where it hit ("english"): vy = (ball centre − paddle centre)
 *    / 4, so a hit on the paddle's end leaves at up to 2.5 units a frame;
 * 5. a ball fully past the left edge is a point for the agent (reward +1), past the right
 *    edge a point for the opponent (−1); the ball is served again at once from the centre
 *    towards a random side with a random vertical speed (one RNG draw).
 * The episode terminates when either side reaches `winPoints` points (default 21, Atari's game);
 * it is truncated after `maxEpisodeSteps` agent steps. The episode return is the score
 * difference.
 *
 * ## The agent's view (ALE conventions)
 * - 6 actions, Atari's minimal Pong set: 0 NOOP, 1 FIRE, 2 RIGHT, 3 LEFT, 4 RIGHTFIRE,
 *   5 LEFTFIRE; RIGHT moves the paddle up, LEFT down; FIRE does nothing (serves are
 *   automatic).
 * - Frame skip `frameSkip` (default 4): an agent step repeats its action for k frames and
 *   sums their rewards; an episode may end mid-skip (the remaining frames are not played).
 *   Only the last frame is observed (no max-pooling: there is no flicker to undo).
 * - Sticky actions `stickyProb` (default 0, as in the A3C paper; ALE v5 uses 0.25): each
 *   frame, with that probability, the previous frame's action is played instead. It is an
 *   integer threshold on a u32 draw: repeat when `(draw >> 1) < round(p · 2^31)`.
 * - Random no-op starts `noopMax` (default 30): every (auto-)reset plays U{0..noopMax} NOOP
 *   frames before the first observation. (The serve speed makes a point within 30 frames
 *   impossible, so no reward is lost there.)
 * - Observation: u8 grayscale [frameStack, S, S] (S = `frameSize`, 84 or 42), the last
 *   `frameStack` frames oldest first; after a reset every frame of the stack is the first
 *   frame. Objects are drawn directly at S × S: a span [v0, v1) of virtual units maps to
 *   pixels [p0, max(p0 + 1, ⌈v1·S/160⌉)) with p0 = ⌊v0·S/160⌋, so nothing vanishes at 42.
 *   Gray levels as ALE's grayscale (walls and ball 236, agent 147, opponent 130; drawn in that
 *   order, later on top) on a black background (`background` 0); ALE's Pong background is 87.
 *   Why black: on a uniform gray the first conv layer's ReLUs are on or off over the whole
 *   frame, and a net trained to tell from the frames alone whether the ball is in the top half
 *   stayed at chance for 1,000 Adam steps at 87 but reached 95% in 500 at 0 (README, "Why Pong
 *   did not learn").
 *
 * ## Randomness
 * `randU32(seed, copy, counter)` with a per-copy counter in the state: one draw per serve,
 * one per reset for the number of no-ops, and one per frame for sticky actions (only when
 * `stickyProb` > 0).
 *
 * ## The GPU plan (see `src/envs/pong_gpu.ts`)
 * Rendering is bandwidth: 7 KB of obs per copy and step at 84 × 84 × 4. One invocation per
 * copy writing its own 7 KB would write uncoalesced, so the work is split in two entry
 * points: `step` (one invocation per copy) plays the k frames and keeps, in the state, the
 * pixel rectangles of the objects in each of the last `frameStack` frames (2 words a frame:
 * {@link PONG_STATE_WORDS}); `render` (one invocation per output u32 word, N × words, so
 * neighbouring invocations write neighbouring words) draws every pixel of the stack from
 * those rectangles alone. Rendering is thus pure state → pixels: the old obs is never read
 * and the stack is never shifted in memory (the step shifts 2 words a frame instead). The
 * CPU twin draws the same rectangles with fills and shifts its stack with `copyWithin`,
 * which gives the same bytes.
 *
 * @module
 */

import { checkDiscreteActions } from "./actions.ts";
import { randU32 } from "../util/rng.ts";
import { blankFrame, checkRenderIndex, fillRect, type Rgb } from "./draw.ts";
import {
  clearEpisodeRing,
  createEpisodeRing,
  decodeEpisodeRing,
  recordEpisode,
} from "./episodes.ts";
import type { GpuEnvKernel } from "./gpu_env.ts";
import { checkNumEnvs, checkOptionKeys, intOption } from "./options.ts";
import type { CpuVecEnv, EnvSpec, Frame } from "./types.ts";

/** Options of Pong. */
export interface PongOptions {
  /** Observation side S in pixels: 84 (default) or 42. */
  readonly frameSize?: number;
  /** Frames in the observation stack (default 4, allowed 1..4). */
  readonly frameStack?: number;
  /** Frames per agent step, the action repeated (default 4, allowed 1..8). */
  readonly frameSkip?: number;
  /** Probability in [0, 1] that a frame repeats the previous frame's action (default 0). */
  readonly stickyProb?: number;
  /** Most NOOP frames played after each reset, drawn uniformly from 0..noopMax (default 30, allowed 0..30). */
  readonly noopMax?: number;
  /** Time limit in agent steps (default 27000, allowed 1..1,000,000). */
  readonly maxEpisodeSteps?: number;
  /** Points that win (and end) a game (default 21, allowed 1..21): a short game for tests. */
  readonly winPoints?: number;
  /** Gray level of the observation's background (default 0; ALE's Pong: 87; allowed 0..255). */
  readonly background?: number;
}

/** Option names of Pong, for validation. */
export const PONG_OPTION_KEYS: readonly string[] = [
  "frameSize",
  "frameStack",
  "frameSkip",
  "stickyProb",
  "noopMax",
  "maxEpisodeSteps",
  "winPoints",
  "background",
];

/** Number of actions (Atari's minimal Pong set). */
export const PONG_ACTIONS = 6;
/** Action names by index. */
export const PONG_ACTION_NAMES: readonly string[] = [
  "NOOP",
  "FIRE",
  "RIGHT",
  "LEFT",
  "RIGHTFIRE",
  "LEFTFIRE",
];
/** Default time limit in agent steps. */
export const PONG_MAX_STEPS = 27000;
/** Points that win (and end) a game by default (option `winPoints`). */
export const PONG_WIN_POINTS = 21;
/** Gray level of the observation's background by default (option `background`; ALE's: 87). */
export const PONG_BACKGROUND = 0;

/** Sub-units per virtual unit (positions and speeds are i32 in 1/256 units). */
export const PONG_SUB = 256;

/**
 * The playfield, in virtual units (positions and sizes) and 1/256 units a frame (speeds).
 * These reach the shader as pipeline constants.
 */
export const PONG_GEOMETRY: Readonly<Record<string, number>> = {
  /** Side of the square playfield. */
  FIELD: 160,
  /** Thickness of the top and the bottom wall. */
  WALL: 8,
  /** Paddle width and height. */
  PADDLE_W: 4,
  PADDLE_H: 16,
  /** Left edge of the agent's (right) and the opponent's (left) paddle. */
  AGENT_X: 140,
  OPP_X: 16,
  /** Ball width and height. */
  BALL_W: 4,
  BALL_H: 4,
  /** Paddle speeds, sub-units a frame. */
  AGENT_SPEED: 768,
  OPP_SPEED: 384,
  /** Ball speeds: serve |vx|, serve |vy| at most, gain of |vx| per return, cap of |vx|. */
  VX_SERVE: 512,
  VY_SERVE: 256,
  VX_GAIN: 32,
  VX_MAX: 1024,
};

/** Gray levels of the objects in the observation (the background is the option `background`). */
export const PONG_GRAY: Readonly<Record<string, number>> = {
  GRAY_WALL: 236,
  GRAY_AGENT: 147,
  GRAY_OPP: 130,
  GRAY_BALL: 236,
};

/**
 * State words per copy (i32, struct-of-arrays, word k of copy i at k·N + i): ball x, y,
 * vx, vy (1/256 units), agent and opponent paddle top y (1/256 units), the two scores, the
 * previous frame's action, agent steps in the episode, the RNG counter, then 2 words per
 * stacked frame (4 slots, oldest first) of packed pixel rectangles: [bx0, bx1, by0, by1]
 * and [ay0, ay1, oy0, oy1], a byte each; then the same 8 words of the frames a time-limit
 * truncation cut off (the GPU renders the final observation from them).
 */
export const PONG_STATE_WORDS = 27;
const BALL_X = 0;
const BALL_Y = 1;
const BALL_VX = 2;
const BALL_VY = 3;
const AGENT_Y = 4;
const OPP_Y = 5;
const SCORE_AGENT = 6;
const SCORE_OPP = 7;
const PREV_ACTION = 8;
const STEPS = 9;
const COUNTER = 10;
const HIST = 11;
const FINAL_HIST = 19;

/** Validated Pong options with defaults filled in. */
export function checkPongOptions(options?: PongOptions): Required<PongOptions> {
  const o = checkOptionKeys("pong", options, PONG_OPTION_KEYS);
  const frameSize = intOption("pong", o, "frameSize", 84, 42, 84);
  if (frameSize !== 84 && frameSize !== 42) {
    throw new RangeError(`env pong: option frameSize = ${frameSize}; allowed: 84 or 42`);
  }
  const p = o.stickyProb ?? 0;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(
      `env pong: option stickyProb = ${JSON.stringify(p)}; allowed: a number in [0, 1]`,
    );
  }
  return {
    frameSize,
    frameStack: intOption("pong", o, "frameStack", 4, 1, 4),
    frameSkip: intOption("pong", o, "frameSkip", 4, 1, 8),
    stickyProb: p,
    noopMax: intOption("pong", o, "noopMax", 30, 0, 30),
    maxEpisodeSteps: intOption("pong", o, "maxEpisodeSteps", PONG_MAX_STEPS, 1, 1e6),
    winPoints: intOption("pong", o, "winPoints", PONG_WIN_POINTS, 1, PONG_WIN_POINTS),
    background: intOption("pong", o, "background", PONG_BACKGROUND, 0, 255),
  };
}

/** The spec of Pong: obs u8 [frameStack, S, S], 6 discrete actions, time limit. */
export function pongSpec(options?: PongOptions): EnvSpec {
  const o = checkPongOptions(options);
  return {
    name: "pong",
    obs: { shape: [o.frameStack, o.frameSize, o.frameSize], dtype: "u8" },
    action: { kind: "discrete", n: PONG_ACTIONS },
    maxEpisodeSteps: o.maxEpisodeSteps,
  };
}

/** The sticky-action threshold: repeat when `(randU32 >> 1) < threshold` (p · 2^31). */
export function pongStickyThreshold(p: number): number {
  return Math.round(p * 2 ** 31);
}

/**
 * The GPU kernel description of Pong (shader, state size, pipeline constants). Its shader
 * has `reset`, `step` and `render` entry points: build it with `makePongGpu`
 * (src/envs/pong_gpu.ts), not with `makeGpuEnvFromKernel`, whose step writes no obs.
 */
export function pongKernel(options?: PongOptions): GpuEnvKernel {
  const o = checkPongOptions(options);
  return {
    spec: pongSpec(options),
    shader: "envs/pong",
    stateWords: PONG_STATE_WORDS,
    constants: {
      ...PONG_GEOMETRY,
      ...PONG_GRAY,
      GRAY_BG: o.background,
      S: o.frameSize,
      FRAMES: o.frameStack,
      FRAME_SKIP: o.frameSkip,
      STICKY: pongStickyThreshold(o.stickyProb),
      NOOP_MAX: o.noopMax,
      MAX_STEPS: o.maxEpisodeSteps,
      WIN_POINTS: o.winPoints,
    },
  };
}

/** A pixel span [p0, p1) of the virtual span [v0, v1) at side `s`: p0 | p1 << 8. */
export function pongPixelSpan(v0: number, v1: number, s: number): number {
  const FIELD = PONG_GEOMETRY.FIELD;
  const a = Math.min(Math.max(v0, 0), FIELD);
  const b = Math.min(Math.max(v1, 0), FIELD);
  const p0 = Math.floor((a * s) / FIELD);
  const p1 = Math.max(p0 + 1, Math.floor((b * s + FIELD - 1) / FIELD));
  return p0 | (p1 << 8);
}

/** The state of one copy, as named numbers (for tests, scripted agents and renderers). */
export interface PongState {
  /** Ball left edge and top edge, 1/256 units. */
  readonly ballX: number;
  /** Ball top edge, 1/256 units. */
  readonly ballY: number;
  /** Ball speed, 1/256 units a frame. */
  readonly ballVx: number;
  /** Ball vertical speed, 1/256 units a frame (positive: down). */
  readonly ballVy: number;
  /** Agent paddle top, 1/256 units. */
  readonly agentY: number;
  /** Opponent paddle top, 1/256 units. */
  readonly oppY: number;
  /** Points of the agent in this episode. */
  readonly scoreAgent: number;
  /** Points of the opponent in this episode. */
  readonly scoreOpp: number;
  /** Agent steps in this episode. */
  readonly steps: number;
}

/** The CPU form of Pong, with read access to each copy's state. */
export interface PongCpu extends CpuVecEnv {
  /** The state of copy `index` (a snapshot). */
  peek(index: number): PongState;
}

const G = PONG_GEOMETRY;

/** The CPU form (twin) of `numEnvs` copies of Pong. Call `reset(seed)` before stepping. */
export function makePongCpu(numEnvs: number, options?: PongOptions): PongCpu {
  const n = checkNumEnvs("pong", numEnvs);
  const o = checkPongOptions(options);
  const spec = pongSpec(options);
  const S = o.frameSize;
  const FRAMES = o.frameStack;
  const FRAME_SKIP = o.frameSkip;
  const STICKY = pongStickyThreshold(o.stickyProb);
  const NOOP_MAX = o.noopMax;
  const MAX_STEPS = o.maxEpisodeSteps;
  const SUB = PONG_SUB;
  const TOP = G.WALL * SUB;
  const BALL_BOTTOM = (G.FIELD - G.WALL - G.BALL_H) * SUB;
  const PADDLE_BOTTOM = (G.FIELD - G.WALL - G.PADDLE_H) * SUB;
  const state = new Int32Array(n * PONG_STATE_WORDS);
  const frameBytes = S * S;
  const obs = new Uint8Array(n * FRAMES * frameBytes);
  const finalObs = new Uint8Array(n * FRAMES * frameBytes);
  const reward = new Float32Array(n);
  const terminated = new Uint8Array(n);
  const truncated = new Uint8Array(n);
  const ring = createEpisodeRing();
  let seed = 0;
  const st = (k: number, i: number) => k * n + i;

  function draw(i: number): number {
    const c = state[st(COUNTER, i)] >>> 0;
    state[st(COUNTER, i)] = (c + 1) | 0;
    return randU32(seed, i, c);
  }

  // Ball at the centre, towards a random side with a random vertical speed.
  function serve(i: number): void {
    const r = draw(i);
    state[st(BALL_X, i)] = ((G.FIELD - G.BALL_W) >> 1) * SUB;
    state[st(BALL_Y, i)] = ((G.FIELD - G.BALL_H) >> 1) * SUB;
    state[st(BALL_VX, i)] = (r & 1) === 0 ? G.VX_SERVE : -G.VX_SERVE;
    state[st(BALL_VY, i)] = ((r >>> 1) % (2 * G.VY_SERVE + 1)) - G.VY_SERVE;
  }

  // One frame with the agent's action `a` (already sticky-resolved); returns the reward.
  function frame(i: number, a: number): number {
    // 1. The agent's paddle.
    let ay = state[st(AGENT_Y, i)];
    if (a === 2 || a === 4) ay -= G.AGENT_SPEED;
    if (a === 3 || a === 5) ay += G.AGENT_SPEED;
    ay = Math.min(Math.max(ay, TOP), PADDLE_BOTTOM);
    state[st(AGENT_Y, i)] = ay;
    // 2. The opponent follows the ball while it comes towards it.
    let x = state[st(BALL_X, i)];
    let y = state[st(BALL_Y, i)];
    let vx = state[st(BALL_VX, i)];
    let vy = state[st(BALL_VY, i)];
    let oy = state[st(OPP_Y, i)];
    if (vx < 0) {
      const aim = y + ((G.BALL_H * SUB) >> 1) - ((G.PADDLE_H * SUB) >> 1);
      oy += Math.min(Math.max(aim - oy, -G.OPP_SPEED), G.OPP_SPEED);
      oy = Math.min(Math.max(oy, TOP), PADDLE_BOTTOM);
      state[st(OPP_Y, i)] = oy;
    }
    // 3. The ball moves and bounces off the walls.
    const oldX = x;
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
    const agentFace = G.AGENT_X * SUB;
    const oppFace = (G.OPP_X + G.PADDLE_W) * SUB;
    const bw = G.BALL_W * SUB;
    const bh = G.BALL_H * SUB;
    const ph = G.PADDLE_H * SUB;
    const ballMid = y + (bh >> 1);
    if (vx > 0 && oldX + bw <= agentFace && x + bw > agentFace && y + bh > ay && y < ay + ph) {
      x = agentFace - bw;
      vx = -Math.min(vx + G.VX_GAIN, G.VX_MAX);
      vy = (ballMid - (ay + (ph >> 1))) >> 2;
    }
    if (vx < 0 && oldX >= oppFace && x < oppFace && y + bh > oy && y < oy + ph) {
      x = oppFace;
      vx = Math.min(-vx + G.VX_GAIN, G.VX_MAX);
      vy = (ballMid - (oy + (ph >> 1))) >> 2;
    }
    state[st(BALL_X, i)] = x;
    state[st(BALL_Y, i)] = y;
    state[st(BALL_VX, i)] = vx;
    state[st(BALL_VY, i)] = vy;
    // 5. Points.
    let r = 0;
    if (x + bw <= 0) {
      r = 1;
      state[st(SCORE_AGENT, i)] += 1;
      serve(i);
    } else if (x >= G.FIELD * SUB) {
      r = -1;
      state[st(SCORE_OPP, i)] += 1;
      serve(i);
    }
    return r;
  }

  // The packed pixel rectangles of the current frame: [bx0, bx1, by0, by1], [ay0, ay1, oy0, oy1].
  function rectA(i: number): number {
    const bx = state[st(BALL_X, i)] >> 8;
    const by = state[st(BALL_Y, i)] >> 8;
    return (pongPixelSpan(bx, bx + G.BALL_W, S) |
      (pongPixelSpan(by, by + G.BALL_H, S) << 16)) >>> 0;
  }
  function rectB(i: number): number {
    const ay = state[st(AGENT_Y, i)] >> 8;
    const oy = state[st(OPP_Y, i)] >> 8;
    return (pongPixelSpan(ay, ay + G.PADDLE_H, S) |
      (pongPixelSpan(oy, oy + G.PADDLE_H, S) << 16)) >>> 0;
  }

  // A new game: centred paddles, a serve, then U{0..NOOP_MAX} NOOP frames.
  function newGame(i: number): void {
    state[st(AGENT_Y, i)] = ((G.FIELD - G.PADDLE_H) >> 1) * SUB;
    state[st(OPP_Y, i)] = ((G.FIELD - G.PADDLE_H) >> 1) * SUB;
    state[st(SCORE_AGENT, i)] = 0;
    state[st(SCORE_OPP, i)] = 0;
    state[st(PREV_ACTION, i)] = 0;
    state[st(STEPS, i)] = 0;
    serve(i);
    const noops = draw(i) % (NOOP_MAX + 1);
    for (let f = 0; f < noops; f++) frame(i, 0);
    const a = rectA(i);
    const b = rectB(i);
    for (let f = 0; f < FRAMES; f++) {
      state[st(HIST + 2 * f, i)] = a;
      state[st(HIST + 2 * f + 1, i)] = b;
    }
  }

  // Draws one S × S frame from its packed rectangles (walls, paddles, ball, in this order).
  const wallTop = pongPixelSpan(0, G.WALL, S);
  const wallBottom = pongPixelSpan(G.FIELD - G.WALL, G.FIELD, S);
  const agentCols = pongPixelSpan(G.AGENT_X, G.AGENT_X + G.PADDLE_W, S);
  const oppCols = pongPixelSpan(G.OPP_X, G.OPP_X + G.PADDLE_W, S);
  function fillSpan(base: number, rows: number, cols: number, v: number): void {
    for (let r = rows & 255; r < rows >>> 8; r++) {
      obs.fill(v, base + r * S + (cols & 255), base + r * S + (cols >>> 8));
    }
  }
  function drawFrame(base: number, a: number, b: number): void {
    obs.fill(o.background, base, base + frameBytes);
    const full = 0 | (S << 8);
    fillSpan(base, wallTop, full, PONG_GRAY.GRAY_WALL);
    fillSpan(base, wallBottom, full, PONG_GRAY.GRAY_WALL);
    fillSpan(base, b & 0xffff, agentCols, PONG_GRAY.GRAY_AGENT);
    fillSpan(base, b >>> 16, oppCols, PONG_GRAY.GRAY_OPP);
    fillSpan(base, a >>> 16, a & 0xffff, PONG_GRAY.GRAY_BALL);
  }

  function writeObs(i: number, fresh: boolean): void {
    const base = i * FRAMES * frameBytes;
    const newest = base + (FRAMES - 1) * frameBytes;
    if (!fresh) obs.copyWithin(base, base + frameBytes, base + FRAMES * frameBytes);
    drawFrame(newest, state[st(HIST + 2 * (FRAMES - 1), i)], state[st(HIST + 2 * FRAMES - 1, i)]);
    if (fresh) {
      for (let f = 0; f < FRAMES - 1; f++) {
        obs.copyWithin(base + f * frameBytes, newest, newest + frameBytes);
      }
    }
  }

  function peek(index: number): PongState {
    checkRenderIndex("pong", index, n);
    return {
      ballX: state[st(BALL_X, index)],
      ballY: state[st(BALL_Y, index)],
      ballVx: state[st(BALL_VX, index)],
      ballVy: state[st(BALL_VY, index)],
      agentY: state[st(AGENT_Y, index)],
      oppY: state[st(OPP_Y, index)],
      scoreAgent: state[st(SCORE_AGENT, index)],
      scoreOpp: state[st(SCORE_OPP, index)],
      steps: state[st(STEPS, index)],
    };
  }

  return {
    spec,
    numEnvs: n,
    obs,
    reward,
    terminated,
    truncated,
    finalObs,
    reset(s: number): void {
      seed = s >>> 0;
      clearEpisodeRing(ring);
      for (let i = 0; i < n; i++) {
        state[st(COUNTER, i)] = 0;
        newGame(i);
        writeObs(i, true);
        reward[i] = 0;
        terminated[i] = 0;
        truncated[i] = 0;
      }
    },
    step(actions: Int32Array | Float32Array): void {
      checkDiscreteActions("pong", actions, n, PONG_ACTIONS);
      for (let i = 0; i < n; i++) {
        const action = actions[i];
        let r = 0;
        let term = false;
        for (let f = 0; f < FRAME_SKIP; f++) {
          let a = action;
          if (STICKY > 0 && draw(i) >>> 1 < STICKY) a = state[st(PREV_ACTION, i)];
          state[st(PREV_ACTION, i)] = a;
          r += frame(i, a);
          if (
            state[st(SCORE_AGENT, i)] >= o.winPoints ||
            state[st(SCORE_OPP, i)] >= o.winPoints
          ) {
            term = true;
            break;
          }
        }
        const steps = state[st(STEPS, i)] + 1;
        state[st(STEPS, i)] = steps;
        const trunc = !term && steps >= MAX_STEPS;
        if (!term) {
          for (let f = 0; f < FRAMES - 1; f++) {
            state[st(HIST + 2 * f, i)] = state[st(HIST + 2 * f + 2, i)];
            state[st(HIST + 2 * f + 1, i)] = state[st(HIST + 2 * f + 3, i)];
          }
          state[st(HIST + 2 * (FRAMES - 1), i)] = rectA(i);
          state[st(HIST + 2 * FRAMES - 1, i)] = rectB(i);
          writeObs(i, false);
        }
        if (trunc) {
          // The frames the time limit cut off (the GPU keeps their rectangles in FINAL_HIST).
          const size = FRAMES * frameBytes;
          finalObs.set(obs.subarray(i * size, (i + 1) * size), i * size);
          for (let w = 0; w < 2 * FRAMES; w++) {
            state[st(FINAL_HIST + w, i)] = state[st(HIST + w, i)];
          }
        }
        if (term || trunc) {
          recordEpisode(ring, state[st(SCORE_AGENT, i)] - state[st(SCORE_OPP, i)], steps);
          newGame(i);
          writeObs(i, true);
        }
        reward[i] = r;
        terminated[i] = term ? 1 : 0;
        truncated[i] = trunc ? 1 : 0;
      }
    },
    episodeStats: () => decodeEpisodeRing(ring.words),
    peek,
    render(index: number): Frame {
      checkRenderIndex("pong", index, n);
      return renderPong(peek(index));
    },
  };
}

/** Atari colours of the picture for people. */
export const PONG_COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  background: [144, 72, 17],
  agent: [92, 186, 92],
  opponent: [213, 130, 74],
  ball: [236, 236, 236],
  walls: [236, 236, 236],
};

// 3 × 5 digits, rows top to bottom, 3 bits a row (bit 2 = left column).
const DIGITS = [
  [7, 5, 5, 5, 7],
  [2, 6, 2, 2, 7],
  [7, 1, 7, 4, 7],
  [7, 1, 7, 1, 7],
  [5, 5, 7, 1, 1],
  [7, 4, 7, 1, 7],
  [7, 4, 7, 5, 7],
  [7, 1, 1, 1, 1],
  [7, 5, 7, 5, 7],
  [7, 5, 7, 1, 7],
];

function drawNumber(frame: Frame, value: number, x: number, y: number, c: Rgb): void {
  const text = String(value);
  for (let d = 0; d < text.length; d++) {
    const rows = DIGITS[Number(text[d])];
    for (let r = 0; r < 5; r++) {
      for (let k = 0; k < 3; k++) {
        if ((rows[r] >> (2 - k)) & 1) {
          const px = x + d * 8 + k * 2;
          fillRect(frame, px, y + r * 2, px + 2, y + r * 2 + 2, c);
        }
      }
    }
  }
}

/** The full 160 × 160 playfield of one Pong state in Atari colours, with the score. */
export function renderPong(s: PongState): Frame {
  const C = PONG_COLOURS;
  const F = G.FIELD;
  const frame = blankFrame(F, F, C.background);
  fillRect(frame, 0, 0, F, G.WALL, C.walls);
  fillRect(frame, 0, F - G.WALL, F, F, C.walls);
  drawNumber(frame, s.scoreOpp, 40, G.WALL + 4, C.opponent);
  drawNumber(frame, s.scoreAgent, 104, G.WALL + 4, C.agent);
  const ay = s.agentY >> 8;
  const oy = s.oppY >> 8;
  fillRect(frame, G.AGENT_X, ay, G.AGENT_X + G.PADDLE_W, ay + G.PADDLE_H, C.agent);
  fillRect(frame, G.OPP_X, oy, G.OPP_X + G.PADDLE_W, oy + G.PADDLE_H, C.opponent);
  const bx = s.ballX >> 8;
  const by = s.ballY >> 8;
  fillRect(frame, bx, by, bx + G.BALL_W, by + G.BALL_H, C.ball);
  return frame;
}
