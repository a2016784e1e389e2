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
 * ## The agent's view
 * 6 actions, Atari's minimal Pong set: 0 NOOP, 1 FIRE, 2 RIGHT, 3 LEFT, 4 RIGHTFIRE,
 * 5 LEFTFIRE; RIGHT moves the paddle up, LEFT down; FIRE does nothing (serves are automatic).
 * Frame skip, sticky actions, random no-op starts (the serve speed makes a point within 30
 * frames impossible, so no reward is lost there), the u8 frame stack and rendering are the
 * arcade layer's (`arcade.ts`, `shaders/envs/arcade.wgsl`); a frame shows two display
 * words, the positions of the ball and of both paddles in whole units. Gray levels as ALE's
 * grayscale (walls and ball 236, agent 147, opponent 130; drawn in that order, later on top)
 * on a black background (`background` 0); ALE's Pong background is 87. With `antialias` each
 * pixel is the average of the square of the playfield it covers (each object blended over what
 * is below by the part of the pixel it covers: `pixelCover`, `blendGray`), as the area resize
 * of Atari preprocessing gives; without it a pixel takes the gray of any object touching it. Why black: on a
 * uniform gray the first conv layer's ReLUs are on or off over the whole frame, and a net
 * trained to tell from the frames alone whether the ball is in the top half stayed at chance
 * for 1,000 Adam steps at 87 but reached 95% in 500 at 0 (README, "Why Pong did not learn").
 *
 * ## Randomness
 * The copy's `draw` (the scaffold's counter): one draw per serve, one per reset for the
 * number of no-ops, and one per frame for sticky actions (only when `stickyProb` > 0).
 *
 * The picture for people (Atari colours, the score) is `renderPong` in `pong_picture.ts`.
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
  pixelSpan,
  stickyThreshold,
  wordIndexes,
} from "./arcade.ts";
import { type GpuEnvKernel, makePixelGpuEnv, type PixelGpuEnv } from "./gpu_env.ts";
import { boolOption, intOption } from "./options.ts";
import { renderPong } from "./pong_picture.ts";
import type { EnvSpec } from "./types.ts";

/** Options of Pong: the arcade layer's (`arcade.ts`) and `winPoints`. */
export interface PongOptions extends ArcadeOptions {
  /** Points that win (and end) a game (default 21, allowed 1..21): a short game for tests. */
  readonly winPoints?: number;
  /**
   * Draw each pixel as the average of the playfield square it covers, as Atari preprocessing's
   * area resize does (default false: a pixel takes the gray of what covers any of it). Edges
   * then move by grays, not by whole pixels, so positions are seen finer than a pixel.
   */
  readonly antialias?: boolean;
}

/** Option names of Pong, for validation. */
export const PONG_OPTION_KEYS: readonly string[] = [
  ...ARCADE_OPTION_KEYS,
  "winPoints",
  "antialias",
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
 * These reach the shader as pipeline constants; a misspelled key does not type-check.
 */
export type PongGeometry = {
  /** Side of the square playfield. */
  readonly FIELD: number;
  /** Thickness of the top and the bottom wall. */
  readonly WALL: number;
  /** Paddle width. */
  readonly PADDLE_W: number;
  /** Paddle height. */
  readonly PADDLE_H: number;
  /** Left edge of the agent's (right) paddle. */
  readonly AGENT_X: number;
  /** Left edge of the opponent's (left) paddle. */
  readonly OPP_X: number;
  /** Ball width. */
  readonly BALL_W: number;
  /** Ball height. */
  readonly BALL_H: number;
  /** Agent paddle speed, sub-units a frame. */
  readonly AGENT_SPEED: number;
  /** Opponent paddle speed, sub-units a frame. */
  readonly OPP_SPEED: number;
  /** Serve |vx|. */
  readonly VX_SERVE: number;
  /** Serve |vy| at most. */
  readonly VY_SERVE: number;
  /** Gain of |vx| per return. */
  readonly VX_GAIN: number;
  /** Cap of |vx|. */
  readonly VX_MAX: number;
};

/** Pong's playfield (see {@link PongGeometry}). */
export const PONG_GEOMETRY: PongGeometry = {
  FIELD: 160,
  WALL: 8,
  PADDLE_W: 4,
  PADDLE_H: 16,
  AGENT_X: 140,
  OPP_X: 16,
  BALL_W: 4,
  BALL_H: 4,
  AGENT_SPEED: 768,
  OPP_SPEED: 384,
  VX_SERVE: 512,
  VY_SERVE: 256,
  VX_GAIN: 32,
  VX_MAX: 1024,
};

/** Gray levels of the objects in the observation (the background is the option `background`). */
export type PongGray = {
  /** Walls. */
  readonly GRAY_WALL: number;
  /** The agent's paddle. */
  readonly GRAY_AGENT: number;
  /** The opponent's paddle. */
  readonly GRAY_OPP: number;
  /** The ball. */
  readonly GRAY_BALL: number;
};

/** Pong's gray levels (ALE's grayscale). */
export const PONG_GRAY: PongGray = {
  GRAY_WALL: 236,
  GRAY_AGENT: 147,
  GRAY_OPP: 130,
  GRAY_BALL: 236,
};

/**
 * The game's state words per copy (i32, struct-of-arrays, word k of copy i at k·N + i): ball
 * x, y, vx, vy (1/256 units), agent and opponent paddle top y (1/256 units), the two scores.
 * The arcade layer and the scaffold keep more words after these.
 */
export const PONG_STATE_WORDS = 8;
const [BALL_X, BALL_Y, BALL_VX, BALL_VY, AGENT_Y, OPP_Y, SCORE_AGENT, SCORE_OPP] = wordIndexes(8);
/**
 * Display words per frame: [bx, by] and [ay, oy], 16 bits each (signed: the ball's left edge
 * may be past the field's): the ball's left and top edges and the paddles' tops in whole units.
 */
const DISPLAY_WORDS = 2;

/** Validated Pong options with defaults filled in. */
export function checkPongOptions(options?: PongOptions): Required<PongOptions> {
  const { raw, ...o } = checkArcadeOptions("pong", options, ["winPoints", "antialias"]);
  return {
    ...o,
    winPoints: intOption("pong", raw, "winPoints", PONG_WIN_POINTS, 1, PONG_WIN_POINTS),
    antialias: boolOption("pong", raw, "antialias", false),
  };
}

/** The spec of Pong: obs u8 [frameStack, S, S], 6 discrete actions, time limit. */
export function pongSpec(options?: PongOptions): EnvSpec {
  return arcadeSpec("pong", checkPongOptions(options), PONG_ACTIONS);
}

/** The sticky-action threshold: repeat when `(randU32 >> 1) < threshold` (p · 2^31). */
export const pongStickyThreshold: (p: number) => number = stickyThreshold;

/** The GPU kernel description of Pong (shader, state size, pipeline constants). */
export function pongKernel(options?: PongOptions): GpuEnvKernel {
  const o = checkPongOptions(options);
  return arcadeKernel({
    spec: pongSpec(options),
    shader: "envs/pong",
    options: o,
    gameWords: PONG_STATE_WORDS,
    displayWords: DISPLAY_WORDS,
    constants: {
      ...PONG_GEOMETRY,
      ...PONG_GRAY,
      WIN_POINTS: o.winPoints,
      ANTIALIAS: o.antialias ? 1 : 0,
    },
  });
}

/** The GPU form of `numEnvs` copies of Pong (`stepPlan()` is [step, render, render_final]). */
export function makePongGpu(
  gpu: Gpu,
  numEnvs: number,
  options?: PongOptions,
): Promise<PixelGpuEnv> {
  return makePixelGpuEnv(gpu, pongKernel(options), numEnvs);
}

/** A pixel span [p0, p1) of the virtual span [v0, v1) at side `s`: p0 | p1 << 8. */
export function pongPixelSpan(v0: number, v1: number, s: number): number {
  return pixelSpan(v0, v1, s, PONG_GEOMETRY.FIELD);
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

/** The CPU form of Pong, with read access to each copy's state (`peek`). */
export type PongCpu = ArcadeCpu<PongState>;

const G = PONG_GEOMETRY;

/** The CPU form (twin) of `numEnvs` copies of Pong. Call `reset(seed)` before stepping. */
export function makePongCpu(numEnvs: number, options?: PongOptions): PongCpu {
  const o = checkPongOptions(options);
  const SUB = PONG_SUB;
  const TOP = G.WALL * SUB;
  const BALL_BOTTOM = (G.FIELD - G.WALL - G.BALL_H) * SUB;
  const PADDLE_BOTTOM = (G.FIELD - G.WALL - G.PADDLE_H) * SUB;
  return makeArcadeCpu({
    spec: pongSpec(options),
    options: o,
    gameWords: PONG_STATE_WORDS,
    displayWords: DISPLAY_WORDS,
    field: G.FIELD,
    numEnvs,
    picture: renderPong,
    game: ({ n, state, draw, steps }, { span, fillSpan, fillCover, S }) => {
      const st = (k: number, i: number) => k * n + i;

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
        [y, vy] = bounce(y, vy, TOP, BALL_BOTTOM);
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
      // What the current frame shows, in whole units: [bx, by], [ay, oy], 16 bits each.
      const pack = (lo: number, hi: number) => (lo & 0xffff) | (hi << 16);
      const rectA = (i: number) => pack(state[st(BALL_X, i)] >> 8, state[st(BALL_Y, i)] >> 8);
      const rectB = (i: number) => pack(state[st(AGENT_Y, i)] >> 8, state[st(OPP_Y, i)] >> 8);

      const wallTop = span(0, G.WALL);
      const wallBottom = span(G.FIELD - G.WALL, G.FIELD);
      const agentCols = span(G.AGENT_X, G.AGENT_X + G.PADDLE_W);
      const oppCols = span(G.OPP_X, G.OPP_X + G.PADDLE_W);
      const full = 0 | (S << 8);

      const peek = (index: number): PongState => ({
        ballX: state[st(BALL_X, index)],
        ballY: state[st(BALL_Y, index)],
        ballVx: state[st(BALL_VX, index)],
        ballVy: state[st(BALL_VY, index)],
        agentY: state[st(AGENT_Y, index)],
        oppY: state[st(OPP_Y, index)],
        scoreAgent: state[st(SCORE_AGENT, index)],
        scoreOpp: state[st(SCORE_OPP, index)],
        steps: steps(index),
      });

      return {
        // A new game: centred paddles, no points, a serve.
        newGame(i: number): void {
          state[st(AGENT_Y, i)] = ((G.FIELD - G.PADDLE_H) >> 1) * SUB;
          state[st(OPP_Y, i)] = ((G.FIELD - G.PADDLE_H) >> 1) * SUB;
          state[st(SCORE_AGENT, i)] = 0;
          state[st(SCORE_OPP, i)] = 0;
          serve(i);
        },
        frame,
        gameOver: (i: number) =>
          state[st(SCORE_AGENT, i)] >= o.winPoints || state[st(SCORE_OPP, i)] >= o.winPoints,
        displayWord: (i: number, k: number) => (k === 0 ? rectA(i) : rectB(i)),
        // Walls, paddles, ball, in this order (later on top).
        drawFrame(base: number, i: number, hist: number): void {
          const a = state[st(hist, i)];
          const b = state[st(hist + 1, i)];
          const [bx, by, ay, oy] = [(a << 16) >> 16, a >> 16, (b << 16) >> 16, b >> 16];
          const { FIELD, WALL, PADDLE_W, PADDLE_H, AGENT_X, OPP_X, BALL_W, BALL_H } = G;
          const gray = PONG_GRAY;
          if (o.antialias) {
            fillCover(base, 0, FIELD, 0, WALL, gray.GRAY_WALL);
            fillCover(base, 0, FIELD, FIELD - WALL, FIELD, gray.GRAY_WALL);
            fillCover(base, AGENT_X, AGENT_X + PADDLE_W, ay, ay + PADDLE_H, gray.GRAY_AGENT);
            fillCover(base, OPP_X, OPP_X + PADDLE_W, oy, oy + PADDLE_H, gray.GRAY_OPP);
            fillCover(base, bx, bx + BALL_W, by, by + BALL_H, gray.GRAY_BALL);
            return;
          }
          fillSpan(base, wallTop, full, gray.GRAY_WALL);
          fillSpan(base, wallBottom, full, gray.GRAY_WALL);
          fillSpan(base, span(ay, ay + PADDLE_H), agentCols, gray.GRAY_AGENT);
          fillSpan(base, span(oy, oy + PADDLE_H), oppCols, gray.GRAY_OPP);
          fillSpan(base, span(by, by + BALL_H), span(bx, bx + BALL_W), gray.GRAY_BALL);
        },
        peek,
      };
    },
  });
}
