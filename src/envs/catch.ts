/**
 * Catch (bsuite, Osband et al. 2020): the smoke test of every algorithm. A ball falls one
 * row per step from a random column of the top row of a `rows` × `columns` grid; the paddle
 * on the bottom row moves left (action 0), stays (1) or moves right (2). When the ball
 * reaches the bottom row (after rows − 1 steps) the episode ends with reward +1 if the
 * paddle is under it, −1 otherwise; every other step gives 0.
 *
 * This module is the TypeScript twin of `shaders/envs/catch.wgsl` (same names, same order)
 * and the one definition of the env's constants, which reach the shader as pipeline
 * constants through {@link catchKernel}.
 *
 * @module
 */

import { blankFrame, fillDisc, fillRect } from "./draw.ts";
import type { GpuEnvKernel } from "./gpu_env.ts";
import { checkOptionKeys, intOption } from "./options.ts";
import { makeCpuVecEnv } from "./scaffold.ts";
import type { CpuVecEnv, EnvSpec } from "./types.ts";

/** Options of Catch. */
export interface CatchOptions {
  /** Grid rows (default 10, allowed 3..64); an episode lasts rows − 1 steps. */
  readonly rows?: number;
  /** Grid columns (default 5, allowed 2..64). */
  readonly columns?: number;
}

/** Option names of Catch, for validation. */
export const CATCH_OPTION_KEYS: readonly string[] = ["rows", "columns"];

/** Default grid rows. */
export const CATCH_ROWS = 10;
/** Default grid columns. */
export const CATCH_COLUMNS = 5;
/** Number of actions: left, stay, right. */
export const CATCH_ACTIONS = 3;
/** Pixels per grid cell in `render`. */
export const CATCH_CELL_PX = 16;

/** The env's state words per copy (i32, struct-of-arrays): ball row, ball column, paddle. */
export const CATCH_STATE_WORDS = 3;
const BALL_ROW = 0;
const BALL_COL = 1;
const PADDLE = 2;

/** Validated Catch options with defaults filled in. */
export function checkCatchOptions(options?: CatchOptions): Required<CatchOptions> {
  const o = checkOptionKeys("catch", options, CATCH_OPTION_KEYS);
  return {
    rows: intOption("catch", o, "rows", CATCH_ROWS, 3, 64),
    columns: intOption("catch", o, "columns", CATCH_COLUMNS, 2, 64),
  };
}

/** The spec of Catch: obs f32 [1, rows, columns], 3 discrete actions, no time limit. */
export function catchSpec(options?: CatchOptions): EnvSpec {
  const { rows, columns } = checkCatchOptions(options);
  return {
    name: "catch",
    obs: { shape: [1, rows, columns], dtype: "f32" },
    action: { kind: "discrete", n: CATCH_ACTIONS },
    maxEpisodeSteps: 0,
  };
}

/** The GPU kernel description of Catch for `makeGpuEnvFromKernel` (src/envs/gpu_env.ts). */
export function catchKernel(options?: CatchOptions): GpuEnvKernel {
  const { rows, columns } = checkCatchOptions(options);
  return {
    spec: catchSpec(options),
    shader: "envs/catch",
    stateWords: CATCH_STATE_WORDS,
    constants: { ROWS: rows, COLS: columns },
  };
}

/** The CPU form (twin) of `numEnvs` copies of Catch. Call `reset(seed)` before stepping. */
export function makeCatchCpu(numEnvs: number, options?: CatchOptions): CpuVecEnv {
  const { rows: ROWS, columns: COLS } = checkCatchOptions(options);
  return makeCpuVecEnv({
    spec: catchSpec(options),
    stateWords: CATCH_STATE_WORDS,
    numEnvs,
    hooks: ({ n, state, draw }, obs) => {
      const st = (k: number, i: number) => k * n + i;
      return {
        // New episode: ball in the top row at a random column, paddle in the middle.
        spawn(i: number): void {
          state[st(BALL_ROW, i)] = 0;
          state[st(BALL_COL, i)] = draw(i) % COLS;
          state[st(PADDLE, i)] = Math.trunc(COLS / 2);
        },
        stepOne(i: number, a: number): number {
          const paddle = Math.min(Math.max(state[st(PADDLE, i)] + a - 1, 0), COLS - 1);
          const ballRow = state[st(BALL_ROW, i)] + 1;
          state[st(PADDLE, i)] = paddle;
          state[st(BALL_ROW, i)] = ballRow;
          if (ballRow < ROWS - 1) return 0;
          return state[st(BALL_COL, i)] === paddle ? 1 : -1;
        },
        isTerminal: (i: number) => state[st(BALL_ROW, i)] === ROWS - 1,
        writeObs(i: number): void {
          const size = ROWS * COLS;
          const base = i * size;
          obs.fill(0, base, base + size);
          obs[base + state[st(BALL_ROW, i)] * COLS + state[st(BALL_COL, i)]] = 1;
          obs[base + (ROWS - 1) * COLS + state[st(PADDLE, i)]] = 1;
        },
        render(index: number) {
          const c = CATCH_CELL_PX;
          const frame = blankFrame(COLS * c, ROWS * c, [16, 16, 32]);
          for (let col = 1; col < COLS; col++) {
            fillRect(frame, col * c, 0, col * c + 1, ROWS * c, [40, 40, 60]);
          }
          const by = state[st(BALL_ROW, index)];
          const bx = state[st(BALL_COL, index)];
          fillDisc(frame, (bx + 0.5) * c, (by + 0.5) * c, c * 0.4, [250, 200, 60]);
          const p = state[st(PADDLE, index)];
          const paddle = [80, 200, 250] as const;
          fillRect(frame, p * c + 1, (ROWS - 1) * c + c / 4, (p + 1) * c - 1, ROWS * c - 2, paddle);
          return frame;
        },
      };
    },
  });
}
