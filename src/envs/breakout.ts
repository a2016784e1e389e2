/**
 * Breakout: our own Atari-like Breakout, a pixel game of the arcade layer (`arcade.ts`:
 * frame skip, sticky actions, no-op starts, the u8 frame stack), stepped in lockstep on the
 * GPU with a bit-exact TypeScript twin. This module is the twin of
 * `shaders/envs/breakout.wgsl` (same names, same order) and the one definition of the
 * game's constants (they reach the shader as pipeline constants through
 * {@link breakoutKernel}).
 *
 * ## The game
 * A virtual playfield of 168 × 168 units (x right, y down; 168 = 2·84 = 4·42, so bricks fall
 * on whole pixels at both frame sizes) with walls at the top and both sides
 * ({@link BREAKOUT_GEOMETRY}), 6 rows of 18 bricks, a paddle near the bottom and one square
 * ball. All physics is integer: positions and speeds in 1/256 units (i32), one frame at a
 * time:
 * 1. the paddle moves right (RIGHT) or left (LEFT) by `PADDLE_SPEED`, clamped to the walls;
 * 2. while no ball is in play, FIRE serves one: from a random column below the bricks,
 *    downwards, towards a random side (one RNG draw); without a ball in play the frame ends
 *    here;
 * 3. the ball moves and bounces off the side walls and the top wall (reflected in place);
 * 4. if the ball now overlaps a brick (the first in row-major order among the cells it
 *    touches), that brick goes, its row's points are won (7, 7, 4, 4, 1, 1 from the top, as
 *    Atari's), the ball goes back to its old height and its vertical direction flips;
 * 5. a ball crossing the paddle's top this frame while overlapping it horizontally is
 *    returned upwards, with vx = (ball centre − paddle centre) / 4 ("english"), at least
 *    `VX_MIN` either way (a vertical ball could bounce in a cleared column for ever);
 * 6. the ball speeds up as Atari's does: its vertical speed is `SPEED_0 + level ·
 *    SPEED_STEP`, where the level counts 4 and 12 paddle hits and the first brick broken in
 *    the orange (second) and in the red (top) row (0..4);
 * 7. a ball below the bottom edge is lost: one life goes and the next ball waits for FIRE;
 * 8. a cleared wall is built again (Atari's second wall).
 * The episode terminates when the 5th life is lost ({@link BREAKOUT_LIVES}); it is truncated
 * after `maxEpisodeSteps` agent steps. The return is the score.
 *
 * ## The agent's view
 * 4 actions, Atari's minimal Breakout set: 0 NOOP, 1 FIRE, 2 RIGHT, 3 LEFT. A frame shows
 * eight display words: the ball's packed pixel rectangle (empty while no ball is in play),
 * the paddle's columns and the six rows of bricks (bit c = column c). Gray levels as ALE's
 * grayscale of Atari's colours (walls 142, bricks by row 110, 129, 131, 148, 124, 85, paddle
 * and ball 110) on black, drawn walls, bricks, paddle, ball (later on top).
 *
 * ## Randomness
 * The copy's `draw`: one draw per serve, one per reset for the number of no-ops, one per
 * frame for sticky actions (only when `stickyProb` > 0).
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import {
  ARCADE_OPTION_KEYS,
  type ArcadeCpu,
  arcadeKernel,
  type ArcadeOptions,
  arcadeSpec,
  bounce,
  checkArcadeOptions,
  makeArcadeCpu,
  NO_WALL,
  wordIndexes,
} from "./arcade.ts";
import { blankFrame, drawNumber, fillRect, type Rgb } from "./draw.ts";
import { type GpuEnvKernel, makePixelGpuEnv, type PixelGpuEnv } from "./gpu_env.ts";
import type { EnvSpec, Frame } from "./types.ts";

/** Options of Breakout: the arcade layer's (`arcade.ts`). */
export type BreakoutOptions = ArcadeOptions;

/** Option names of Breakout, for validation. */
export const BREAKOUT_OPTION_KEYS: readonly string[] = ARCADE_OPTION_KEYS;

/** Number of actions (Atari's minimal Breakout set). */
export const BREAKOUT_ACTIONS = 4;
/** Action names by index. */
export const BREAKOUT_ACTION_NAMES: readonly string[] = ["NOOP", "FIRE", "RIGHT", "LEFT"];
/** Lives a game starts with. */
export const BREAKOUT_LIVES = 5;
/** Points of a brick by row, top row first (Atari's). */
export const BREAKOUT_ROW_POINTS: readonly number[] = [7, 7, 4, 4, 1, 1];

/** Sub-units per virtual unit (positions and speeds are i32 in 1/256 units). */
const SUB = 256;

/**
 * The playfield, in virtual units (positions and sizes) and 1/256 units a frame (speeds).
 * These reach the shader as pipeline constants; a misspelled key does not type-check.
 */
export type BreakoutGeometry = {
  /** Side of the square playfield. */
  readonly FIELD: number;
  /** Thickness of the top wall. */
  readonly WALL_TOP: number;
  /** Thickness of each side wall. */
  readonly WALL_SIDE: number;
  /** Top of the first (red) row of bricks. */
  readonly BRICK_Y: number;
  /** Brick width. */
  readonly BRICK_W: number;
  /** Brick height. */
  readonly BRICK_H: number;
  /** Top of the paddle. */
  readonly PADDLE_Y: number;
  /** Paddle width. */
  readonly PADDLE_W: number;
  /** Paddle height. */
  readonly PADDLE_H: number;
  /** Side of the square ball. */
  readonly BALL: number;
  /** Top of a served ball. */
  readonly SERVE_Y: number;
  /** Paddle speed, sub-units a frame. */
  readonly PADDLE_SPEED: number;
  /** Vertical ball speed at level 0, sub-units a frame. */
  readonly SPEED_0: number;
  /** Vertical ball speed added per level. */
  readonly SPEED_STEP: number;
  /** Least |vx| after a paddle hit, sub-units a frame (no vertical loops). */
  readonly VX_MIN: number;
};

/** Breakout's playfield (see {@link BreakoutGeometry}): 18 columns of bricks fill the width. */
export const BREAKOUT_GEOMETRY: BreakoutGeometry = {
  FIELD: 168,
  WALL_TOP: 12,
  WALL_SIDE: 12,
  BRICK_Y: 40,
  BRICK_W: 8,
  BRICK_H: 4,
  PADDLE_Y: 152,
  PADDLE_W: 16,
  PADDLE_H: 4,
  BALL: 4,
  SERVE_Y: 84,
  PADDLE_SPEED: 768,
  SPEED_0: 384,
  SPEED_STEP: 96,
  VX_MIN: 128,
};

/** Rows and columns of bricks. */
export const BREAKOUT_ROWS = 6;
/** Columns of bricks (18 · BRICK_W = FIELD − 2 · WALL_SIDE). */
export const BREAKOUT_COLS = 18;

/** Gray levels of the objects in the observation (ALE's grayscale of Atari's colours). */
export type BreakoutGray = {
  /** Walls. */
  readonly GRAY_WALL: number;
  /** The paddle. */
  readonly GRAY_PADDLE: number;
  /** The ball. */
  readonly GRAY_BALL: number;
  /** Bricks of rows 0..5, top first. */
  readonly GRAY_ROW0: number;
  /** Row 1. */
  readonly GRAY_ROW1: number;
  /** Row 2. */
  readonly GRAY_ROW2: number;
  /** Row 3. */
  readonly GRAY_ROW3: number;
  /** Row 4. */
  readonly GRAY_ROW4: number;
  /** Row 5. */
  readonly GRAY_ROW5: number;
};

/** Breakout's gray levels. */
export const BREAKOUT_GRAY: BreakoutGray = {
  GRAY_WALL: 142,
  GRAY_PADDLE: 110,
  GRAY_BALL: 110,
  GRAY_ROW0: 110,
  GRAY_ROW1: 129,
  GRAY_ROW2: 131,
  GRAY_ROW3: 148,
  GRAY_ROW4: 124,
  GRAY_ROW5: 85,
};

/**
 * The game's state words per copy (i32, struct-of-arrays, word k of copy i at k·N + i): ball
 * x, y, vx, vy (1/256 units), paddle left x (1/256 units), whether a ball is in play, lives,
 * paddle hits, speed-up flags (1: orange row hit, 2: red row hit), score, bricks left, then
 * one word a row of bricks (bit c: column c stands).
 */
export const BREAKOUT_STATE_WORDS = 17;
// BRICKS is the first of the 6 row words.
const [
  BALL_X,
  BALL_Y,
  BALL_VX,
  BALL_VY,
  PADDLE_X,
  IN_PLAY,
  LIVES,
  HITS,
  FLAGS,
  SCORE,
  BRICKS_LEFT,
  BRICKS,
] = wordIndexes(12);
/** Display words per frame: the ball's rectangle, the paddle's columns, 6 rows of bricks. */
const DISPLAY_WORDS = 8;
const FULL_ROW = (1 << BREAKOUT_COLS) - 1;

/** Validated Breakout options with defaults filled in. */
export function checkBreakoutOptions(options?: BreakoutOptions): Required<BreakoutOptions> {
  const { raw: _, ...o } = checkArcadeOptions("breakout", options);
  return o;
}

/** The spec of Breakout: obs u8 [frameStack, S, S], 4 discrete actions, time limit. */
export function breakoutSpec(options?: BreakoutOptions): EnvSpec {
  return arcadeSpec("breakout", checkBreakoutOptions(options), BREAKOUT_ACTIONS);
}

/** The GPU kernel description of Breakout (shader, state size, pipeline constants). */
export function breakoutKernel(options?: BreakoutOptions): GpuEnvKernel {
  const o = checkBreakoutOptions(options);
  return arcadeKernel({
    spec: breakoutSpec(options),
    shader: "envs/breakout",
    options: o,
    gameWords: BREAKOUT_STATE_WORDS,
    displayWords: DISPLAY_WORDS,
    constants: { ...BREAKOUT_GEOMETRY, ...BREAKOUT_GRAY },
  });
}

/** The GPU form of `numEnvs` copies of Breakout (`stepPlan()`: [step, render, render_final]). */
export function makeBreakoutGpu(
  gpu: Gpu,
  numEnvs: number,
  options?: BreakoutOptions,
): Promise<PixelGpuEnv> {
  return makePixelGpuEnv(gpu, breakoutKernel(options), numEnvs);
}

/** The state of one copy, as named numbers (for tests, scripted agents and pictures). */
export interface BreakoutState {
  /** Ball left edge, 1/256 units. */
  readonly ballX: number;
  /** Ball top edge, 1/256 units. */
  readonly ballY: number;
  /** Ball speed, 1/256 units a frame (positive: right). */
  readonly ballVx: number;
  /** Ball vertical speed, 1/256 units a frame (positive: down). */
  readonly ballVy: number;
  /** Paddle left edge, 1/256 units. */
  readonly paddleX: number;
  /** Whether a ball is in play. */
  readonly inPlay: boolean;
  /** Lives left. */
  readonly lives: number;
  /** Points in this episode. */
  readonly score: number;
  /** The rows of bricks, top first (bit c: column c stands). */
  readonly bricks: readonly number[];
}

/** The CPU form of Breakout, with read access to each copy's state (`peek`). */
export type BreakoutCpu = ArcadeCpu<BreakoutState>;

const G = BREAKOUT_GEOMETRY;

/** The CPU form (twin) of `numEnvs` copies of Breakout. Call `reset(seed)` before stepping. */
export function makeBreakoutCpu(numEnvs: number, options?: BreakoutOptions): BreakoutCpu {
  const o = checkBreakoutOptions(options);
  const LEFT = G.WALL_SIDE * SUB;
  const RIGHT = (G.FIELD - G.WALL_SIDE - G.BALL) * SUB; // the ball's left edge at most
  const TOP = G.WALL_TOP * SUB;
  const PADDLE_MAX = (G.FIELD - G.WALL_SIDE - G.PADDLE_W) * SUB;
  const B = G.BALL * SUB;
  const gray = BREAKOUT_GRAY;
  const rowGray = [
    gray.GRAY_ROW0,
    gray.GRAY_ROW1,
    gray.GRAY_ROW2,
    gray.GRAY_ROW3,
    gray.GRAY_ROW4,
    gray.GRAY_ROW5,
  ];
  return makeArcadeCpu({
    spec: breakoutSpec(options),
    options: o,
    gameWords: BREAKOUT_STATE_WORDS,
    displayWords: DISPLAY_WORDS,
    field: G.FIELD,
    numEnvs,
    picture: renderBreakout,
    game: ({ n, state, draw }, { span, fillSpan, S }) => {
      const st = (k: number, i: number) => k * n + i;

      // The vertical speed of the ball's level (0..4).
      function speed(i: number): number {
        const hits = state[st(HITS, i)];
        const flags = state[st(FLAGS, i)];
        const level = (hits >= 4 ? 1 : 0) + (hits >= 12 ? 1 : 0) + (flags & 1) + (flags >> 1);
        return G.SPEED_0 + level * G.SPEED_STEP;
      }

      function buildWall(i: number): void {
        for (let r = 0; r < BREAKOUT_ROWS; r++) state[st(BRICKS + r, i)] = FULL_ROW;
        state[st(BRICKS_LEFT, i)] = BREAKOUT_ROWS * BREAKOUT_COLS;
      }

      // A ball from a random column below the bricks, downwards, towards a random side.
      function serve(i: number): void {
        const r = draw(i);
        const room = G.FIELD - 2 * G.WALL_SIDE - G.BALL;
        state[st(BALL_X, i)] = (G.WALL_SIDE + ((r >>> 1) % room)) * SUB;
        state[st(BALL_Y, i)] = G.SERVE_Y * SUB;
        const v = speed(i);
        state[st(BALL_VX, i)] = (r & 1) === 0 ? v >> 1 : -(v >> 1);
        state[st(BALL_VY, i)] = v;
        state[st(IN_PLAY, i)] = 1;
      }

      // Breaks the first standing brick the ball overlaps (row-major); its points, or -1.
      function breakBrick(i: number, x: number, y: number): number {
        const y0 = Math.max(y, G.BRICK_Y * SUB);
        const y1 = Math.min(y + B - 1, (G.BRICK_Y + BREAKOUT_ROWS * G.BRICK_H) * SUB - 1);
        if (y0 > y1) return -1;
        const r0 = Math.floor((y0 - G.BRICK_Y * SUB) / (G.BRICK_H * SUB));
        const r1 = Math.floor((y1 - G.BRICK_Y * SUB) / (G.BRICK_H * SUB));
        const c0 = Math.floor((x - LEFT) / (G.BRICK_W * SUB));
        const c1 = Math.floor((x + B - 1 - LEFT) / (G.BRICK_W * SUB));
        for (let r = r0; r <= r1; r++) {
          for (let c = c0; c <= c1; c++) {
            const row = state[st(BRICKS + r, i)];
            if (((row >>> c) & 1) === 0) continue;
            state[st(BRICKS + r, i)] = row & ~(1 << c);
            state[st(BRICKS_LEFT, i)] -= 1;
            if (r === 1) state[st(FLAGS, i)] |= 1;
            if (r === 0) state[st(FLAGS, i)] |= 2;
            return BREAKOUT_ROW_POINTS[r];
          }
        }
        return -1;
      }

      // One frame with action `a` (already sticky-resolved); returns the reward.
      function frame(i: number, a: number): number {
        // 1. The paddle.
        let px = state[st(PADDLE_X, i)];
        if (a === 2) px += G.PADDLE_SPEED;
        if (a === 3) px -= G.PADDLE_SPEED;
        px = Math.min(Math.max(px, LEFT), PADDLE_MAX);
        state[st(PADDLE_X, i)] = px;
        // 2. Serve on FIRE; no ball, no more.
        if (state[st(IN_PLAY, i)] === 0) {
          if (a !== 1) return 0;
          serve(i);
        }
        // 3. The ball moves and bounces off the walls.
        let x = state[st(BALL_X, i)];
        let y = state[st(BALL_Y, i)];
        let vx = state[st(BALL_VX, i)];
        let vy = state[st(BALL_VY, i)];
        const oldY = y;
        x += vx;
        y += vy;
        [x, vx] = bounce(x, vx, LEFT, RIGHT);
        [y, vy] = bounce(y, vy, TOP, NO_WALL);
        // 4. Bricks.
        let r = 0;
        const points = breakBrick(i, x, y);
        if (points >= 0) {
          r = points;
          y = oldY;
          vy = vy > 0 ? -speed(i) : speed(i);
        }
        // 5. The paddle returns the ball.
        const top = G.PADDLE_Y * SUB;
        if (vy > 0 && oldY + B <= top && y + B > top && x + B > px && x < px + G.PADDLE_W * SUB) {
          y = top - B;
          state[st(HITS, i)] += 1;
          vy = -speed(i); // 6. the level counts the hits
          const off = x + (B >> 1) - (px + ((G.PADDLE_W * SUB) >> 1));
          vx = off >> 2;
          if (vx > -G.VX_MIN && vx < G.VX_MIN) vx = off < 0 ? -G.VX_MIN : G.VX_MIN;
        }
        state[st(BALL_X, i)] = x;
        state[st(BALL_Y, i)] = y;
        state[st(BALL_VX, i)] = vx;
        state[st(BALL_VY, i)] = vy;
        // 7. A lost ball.
        if (y >= G.FIELD * SUB) {
          state[st(IN_PLAY, i)] = 0;
          state[st(LIVES, i)] -= 1;
        }
        // 8. A cleared wall is built again.
        if (state[st(BRICKS_LEFT, i)] === 0) buildWall(i);
        state[st(SCORE, i)] += r;
        return r;
      }

      // Display words: the ball's packed rectangle [x0, x1, y0, y1] (0 without a ball), the
      // paddle's columns, the rows of bricks.
      function displayWord(i: number, k: number): number {
        if (k === 0) {
          if (state[st(IN_PLAY, i)] === 0) return 0;
          const bx = state[st(BALL_X, i)] >> 8;
          const by = state[st(BALL_Y, i)] >> 8;
          return span(bx, bx + G.BALL) | (span(by, by + G.BALL) << 16);
        }
        if (k === 1) {
          const px = state[st(PADDLE_X, i)] >> 8;
          return span(px, px + G.PADDLE_W);
        }
        return state[st(BRICKS + k - 2, i)];
      }

      const wallTop = span(0, G.WALL_TOP);
      const wallLeft = span(0, G.WALL_SIDE);
      const wallRight = span(G.FIELD - G.WALL_SIDE, G.FIELD);
      const paddleRows = span(G.PADDLE_Y, G.PADDLE_Y + G.PADDLE_H);
      const full = 0 | (S << 8);

      const peek = (index: number): BreakoutState => ({
        ballX: state[st(BALL_X, index)],
        ballY: state[st(BALL_Y, index)],
        ballVx: state[st(BALL_VX, index)],
        ballVy: state[st(BALL_VY, index)],
        paddleX: state[st(PADDLE_X, index)],
        inPlay: state[st(IN_PLAY, index)] !== 0,
        lives: state[st(LIVES, index)],
        score: state[st(SCORE, index)],
        bricks: Array.from({ length: BREAKOUT_ROWS }, (_, r) => state[st(BRICKS + r, index)]),
      });

      return {
        // A new game: a full wall, the paddle in the middle, no ball in play.
        newGame(i: number): void {
          state[st(BALL_X, i)] = 0;
          state[st(BALL_Y, i)] = 0;
          state[st(BALL_VX, i)] = 0;
          state[st(BALL_VY, i)] = 0;
          state[st(PADDLE_X, i)] = ((G.FIELD - G.PADDLE_W) >> 1) * SUB;
          state[st(IN_PLAY, i)] = 0;
          state[st(LIVES, i)] = BREAKOUT_LIVES;
          state[st(HITS, i)] = 0;
          state[st(FLAGS, i)] = 0;
          state[st(SCORE, i)] = 0;
          buildWall(i);
        },
        frame,
        gameOver: (i: number) => state[st(LIVES, i)] <= 0,
        displayWord,
        // Walls, bricks, paddle, ball, in this order (later on top).
        drawFrame(base: number, i: number, hist: number): void {
          fillSpan(base, wallTop, full, gray.GRAY_WALL);
          fillSpan(base, full, wallLeft, gray.GRAY_WALL);
          fillSpan(base, full, wallRight, gray.GRAY_WALL);
          for (let r = 0; r < BREAKOUT_ROWS; r++) {
            const row = state[st(hist + 2 + r, i)];
            const y = G.BRICK_Y + r * G.BRICK_H;
            const rows = span(y, y + G.BRICK_H);
            for (let c = 0; c < BREAKOUT_COLS; c++) {
              if (((row >>> c) & 1) === 0) continue;
              const x = G.WALL_SIDE + c * G.BRICK_W;
              fillSpan(base, rows, span(x, x + G.BRICK_W), rowGray[r]);
            }
          }
          const paddle = state[st(hist + 1, i)] >>> 0;
          fillSpan(base, paddleRows, paddle, gray.GRAY_PADDLE);
          const ball = state[st(hist, i)] >>> 0;
          fillSpan(base, ball >>> 16, ball & 0xffff, gray.GRAY_BALL);
        },
        peek,
      };
    },
  });
}

// ---- The picture for people (not the observation) ----

/** Atari colours of Breakout's picture for people: the rows of bricks, top first. */
export const BREAKOUT_ROW_COLOURS: readonly Rgb[] = [
  [200, 72, 72],
  [198, 108, 58],
  [180, 122, 48],
  [162, 162, 42],
  [72, 160, 72],
  [66, 72, 200],
];

/** The full 168 × 168 playfield of one Breakout state in Atari colours, score and lives. */
export function renderBreakout(s: BreakoutState): Frame {
  const F = G.FIELD;
  const wall: Rgb = [142, 142, 142];
  const red: Rgb = [200, 72, 72];
  const frame = blankFrame(F, F, [0, 0, 0]);
  fillRect(frame, 0, 0, F, G.WALL_TOP, wall);
  fillRect(frame, 0, 0, G.WALL_SIDE, F, wall);
  fillRect(frame, F - G.WALL_SIDE, 0, F, F, wall);
  drawNumber(frame, s.score, G.WALL_SIDE + 4, G.WALL_TOP + 4, wall);
  drawNumber(frame, s.lives, F - G.WALL_SIDE - 12, G.WALL_TOP + 4, wall);
  for (let r = 0; r < BREAKOUT_ROWS; r++) {
    for (let c = 0; c < BREAKOUT_COLS; c++) {
      if (((s.bricks[r] >>> c) & 1) === 0) continue;
      const x = G.WALL_SIDE + c * G.BRICK_W;
      const y = G.BRICK_Y + r * G.BRICK_H;
      fillRect(frame, x, y, x + G.BRICK_W, y + G.BRICK_H, BREAKOUT_ROW_COLOURS[r]);
    }
  }
  const px = s.paddleX >> 8;
  fillRect(frame, px, G.PADDLE_Y, px + G.PADDLE_W, G.PADDLE_Y + G.PADDLE_H, red);
  if (s.inPlay) {
    const bx = s.ballX >> 8;
    const by = s.ballY >> 8;
    fillRect(frame, bx, by, bx + G.BALL, by + G.BALL, red);
  }
  return frame;
}
