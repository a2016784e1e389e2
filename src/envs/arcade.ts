/**
 * The layer of the pixel games (Pong, Breakout), twin of `shaders/envs/arcade.wgsl` (same
 * names, same order): Atari's conventions (ALE's) over a game that only knows its frames.
 * A game gives its state words, a new game, one frame, whether the game is over, the
 * display words of a frame (what it shows, a few words) and how to draw them; this layer
 * gives it to the scaffold (`scaffold.ts`) as `spawn`, `stepOne`, `isTerminal` and
 * `writeObs`.
 *
 * ## The rules
 * 1. Frame skip `frameSkip` (default 4): an agent step repeats its action for k frames and
 *    sums their rewards; a game that ends mid-skip plays no more frames. Only the last
 *    frame is observed (no max-pooling: there is no flicker to undo).
 * 2. Sticky actions `stickyProb` (default 0, as in the A3C paper; ALE v5 uses 0.25): each
 *    frame, with that probability, the previous frame's action is played instead. It is an
 *    integer threshold on a u32 draw: repeat when `(draw >> 1) < round(p · 2^31)`.
 * 3. Random no-op starts `noopMax` (default 30): every (auto-)reset plays U{0..noopMax}
 *    NOOP frames before the first observation.
 * 4. Observation: u8 grayscale [frameStack, S, S] (S = `frameSize`, 84 or 42), the last
 *    `frameStack` frames oldest first; after a reset every frame of the stack is the first
 *    frame. Objects are drawn directly at S × S: a span [v0, v1) of virtual units (the
 *    playfield is `field` units square) maps to pixels [p0, max(p0 + 1, ⌈v1·S/field⌉)) with
 *    p0 = ⌊v0·S/field⌋, so nothing vanishes at 42 ({@link pixelSpan}). Or, antialiased, each
 *    object is blended over what is below by the part of each pixel it covers
 *    ({@link pixelCover}, {@link blendGray}; Pong's `antialias`).
 *
 * ## State and rendering
 * After the game's words this layer keeps PREV_ACTION (sticky actions), then the display
 * words of the last `frameStack` frames (HIST, room for 4) and those of the frames a time
 * limit cut off (FINAL_HIST, read by the GPU's `render_final`). On the GPU, rendering is pure
 * state → pixels: `render` runs one invocation per obs word (neighbouring invocations write
 * neighbouring words, so the 7 KB a copy of 84 × 84 × 4 are written coalesced) and draws
 * each pixel from the display words alone; the step writes no pixel and shifts display words
 * instead of frames. The CPU draws only the newest frame, with fills, and shifts its stack
 * with `copyWithin`, which gives the same bytes.
 *
 * @module
 */

import { checkRenderIndex } from "./draw.ts";
import type { GpuEnvKernel } from "./gpu_env.ts";
import { checkOptionKeys, intOption } from "./options.ts";
import { type EnvState, makeCpuVecEnv, type ScaffoldCpuEnv } from "./scaffold.ts";
import type { EnvSpec, Frame } from "./types.ts";

/** The options every pixel game takes. */
export interface ArcadeOptions {
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
  /** Gray level of the observation's background (default 0, allowed 0..255). */
  readonly background?: number;
}

/** Option names every pixel game takes, for validation. */
export const ARCADE_OPTION_KEYS: readonly string[] = [
  "frameSize",
  "frameStack",
  "frameSkip",
  "stickyProb",
  "noopMax",
  "maxEpisodeSteps",
  "background",
];

/** Default time limit of a pixel game in agent steps (108k frames, as ALE's). */
export const ARCADE_MAX_STEPS = 27000;

/** Most frames in the stack (the state keeps room for this many frames' display words). */
export const ARCADE_MAX_FRAMES = 4;

/**
 * Validates the options of pixel game `name`: the shared ones ({@link ARCADE_OPTION_KEYS})
 * plus `extraKeys`, which the game checks itself from the returned record.
 */
export function checkArcadeOptions(
  name: string,
  options: unknown,
  extraKeys: readonly string[] = [],
): Required<ArcadeOptions> & { readonly raw: Record<string, unknown> } {
  const o = checkOptionKeys(name, options, [...ARCADE_OPTION_KEYS, ...extraKeys]);
  const frameSize = intOption(name, o, "frameSize", 84, 42, 84);
  if (frameSize !== 84 && frameSize !== 42) {
    throw new RangeError(`env ${name}: option frameSize = ${frameSize}; allowed: 84 or 42`);
  }
  const p = o.stickyProb ?? 0;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(
      `env ${name}: option stickyProb = ${JSON.stringify(p)}; allowed: a number in [0, 1]`,
    );
  }
  return {
    frameSize,
    frameStack: intOption(name, o, "frameStack", 4, 1, ARCADE_MAX_FRAMES),
    frameSkip: intOption(name, o, "frameSkip", 4, 1, 8),
    stickyProb: p,
    noopMax: intOption(name, o, "noopMax", 30, 0, 30),
    maxEpisodeSteps: intOption(name, o, "maxEpisodeSteps", ARCADE_MAX_STEPS, 1, 1e6),
    background: intOption(name, o, "background", 0, 0, 255),
    raw: o,
  };
}

/** The spec of pixel game `name`: obs u8 [frameStack, S, S], `actions` discrete actions. */
export function arcadeSpec(
  name: string,
  o: Required<ArcadeOptions>,
  actions: number,
): EnvSpec {
  return {
    name,
    obs: { shape: [o.frameStack, o.frameSize, o.frameSize], dtype: "u8" },
    action: { kind: "discrete", n: actions },
    maxEpisodeSteps: o.maxEpisodeSteps,
  };
}

/** The sticky-action threshold: repeat when `(randU32 >> 1) < threshold` (p · 2^31). */
export function stickyThreshold(p: number): number {
  return Math.round(p * 2 ** 31);
}

/** The pipeline constants of `envs/arcade.wgsl` (the game adds its own, FIELD among them). */
export function arcadeConstants(o: Required<ArcadeOptions>): Record<string, number> {
  return {
    GRAY_BG: o.background,
    S: o.frameSize,
    FRAMES: o.frameStack,
    FRAME_SKIP: o.frameSkip,
    STICKY: stickyThreshold(o.stickyProb),
    NOOP_MAX: o.noopMax,
  };
}

/** A pixel span [p0, p1) of the virtual span [v0, v1) at side `s`: p0 | p1 << 8. */
export function pixelSpan(v0: number, v1: number, s: number, field: number): number {
  const a = Math.min(Math.max(v0, 0), field);
  const b = Math.min(Math.max(v1, 0), field);
  const p0 = Math.floor((a * s) / field);
  const p1 = Math.max(p0 + 1, Math.floor((b * s + field - 1) / field));
  return p0 | (p1 << 8);
}

/**
 * How much of pixel `p` (at side `s`) the virtual span [v0, v1) covers, in 1/s units: 0 to
 * `field` (the span clamped to the playfield). Pixel p spans [p·field, (p + 1)·field) there.
 */
export function pixelCover(p: number, v0: number, v1: number, s: number, field: number): number {
  const a = Math.min(Math.max(v0, 0), field) * s;
  const b = Math.min(Math.max(v1, 0), field) * s;
  return Math.max(Math.min((p + 1) * field, b) - Math.max(p * field, a), 0);
}

/**
 * Gray `over` drawn on gray `under` over a fraction c / field² of a pixel (c the product of
 * two {@link pixelCover}s), rounded down: the area average of Atari preprocessing's resize.
 */
export function blendGray(under: number, over: number, c: number, field: number): number {
  const f2 = field * field;
  return Math.floor((over * c + under * (f2 - c)) / f2);
}

/** The `hi` of {@link bounce} on a side with no wall. */
export const NO_WALL = 0x7fffffff;

/**
 * A coordinate `p` moving at `v`, mirrored back inside the wall at `lo` or `hi` it went past:
 * `[p, v]` (WGSL twin: `bounce`). A side with no wall passes {@link NO_WALL}.
 */
export function bounce(p: number, v: number, lo: number, hi: number): [number, number] {
  if (p < lo) return [2 * lo - p, -v];
  if (p > hi) return [2 * hi - p, -v];
  return [p, v];
}

/** Where a game draws one S × S frame on the CPU (the background is already filled). */
export interface ArcadeCanvas {
  /** Frame side in pixels. */
  readonly S: number;
  /** {@link pixelSpan} at this side and the game's field. */
  span(v0: number, v1: number): number;
  /** Fills rows × cols (two packed spans) of the frame at obs offset `base` with gray `v`. */
  fillSpan(base: number, rows: number, cols: number, v: number): void;
  /**
   * Draws the virtual rectangle [x0, x1) × [y0, y1) in gray `v` over the frame at obs offset
   * `base`, each pixel blended by the part of it covered ({@link pixelCover}, {@link blendGray}).
   */
  fillCover(base: number, x0: number, x1: number, y0: number, y1: number, v: number): void;
}

/** One pixel game's functions over one copy (see the module doc); `P` its named state. */
export interface ArcadeGame<P> {
  /** A new game of copy `i` (its own words; may draw random numbers). */
  newGame(i: number): void;
  /** One frame of copy `i` with action `a`; returns the reward. */
  frame(i: number, a: number): number;
  /** Whether copy `i`'s game has ended. */
  gameOver(i: number): boolean;
  /** Word `k` of what copy `i`'s current frame shows. */
  displayWord(i: number, k: number): number;
  /** Draws the frame whose display words are at state words `hist`.. of copy `i`. */
  drawFrame(base: number, i: number, hist: number): void;
  /** Copy `i`'s state as named numbers (a snapshot, for tests, scripts and pictures). */
  peek(i: number): P;
}

/** What {@link makeArcadeCpu} needs; `P` is the game's named state. */
export interface ArcadeDef<P> {
  /** The env's spec (from {@link arcadeSpec}). */
  readonly spec: EnvSpec;
  /** The validated options. */
  readonly options: Required<ArcadeOptions>;
  /** The game's own state words per copy. */
  readonly gameWords: number;
  /** Display words per frame. */
  readonly displayWords: number;
  /** Side of the square playfield in virtual units. */
  readonly field: number;
  /** Number of copies N. */
  readonly numEnvs: number;
  /** Builds the game's functions over the scaffold's state. */
  game(s: EnvState, canvas: ArcadeCanvas): ArcadeGame<P>;
  /** The picture for people of one copy's named state (`render`). */
  picture(state: P): Frame;
}

/** The CPU form of a pixel game, with read access to each copy's named state. */
export interface ArcadeCpu<P> extends ScaffoldCpuEnv {
  /** The state of copy `index` (a snapshot). */
  peek(index: number): P;
}

/** What {@link arcadeKernel} needs. */
export interface ArcadeKernelDef {
  /** The env's spec (from {@link arcadeSpec}). */
  readonly spec: EnvSpec;
  /** Shader name, e.g. "envs/breakout". */
  readonly shader: string;
  /** The validated options. */
  readonly options: Required<ArcadeOptions>;
  /** The game's own state words per copy. */
  readonly gameWords: number;
  /** Display words per frame. */
  readonly displayWords: number;
  /** The game's pipeline constants (FIELD among them). */
  readonly constants: Record<string, number>;
}

/** The GPU kernel description of a pixel game, for `makePixelGpuEnv` (`gpu_env.ts`). */
export function arcadeKernel(def: ArcadeKernelDef): GpuEnvKernel {
  return {
    spec: def.spec,
    shader: def.shader,
    stateWords: arcadeStateWords(def.gameWords, def.displayWords),
    pixels: true,
    constants: { ...def.constants, ...arcadeConstants(def.options) },
  };
}

/**
 * The indexes 0, 1, …, n − 1, to name a game's state words in order with one destructuring
 * (`const [BALL_X, BALL_Y] = wordIndexes(2)`), so no two names can share a word.
 */
export function wordIndexes(n: number): number[] {
  return Array.from({ length: n }, (_, k) => k);
}

/** State words of a pixel game per copy: the game's, PREV_ACTION, HIST and FINAL_HIST. */
export function arcadeStateWords(gameWords: number, displayWords: number): number {
  return gameWords + 1 + 2 * ARCADE_MAX_FRAMES * displayWords;
}

/** The CPU form (twin) of N copies of a pixel game. */
export function makeArcadeCpu<P>(def: ArcadeDef<P>): ArcadeCpu<P> {
  const o = def.options;
  const S = o.frameSize;
  const FRAMES = o.frameStack;
  const STICKY = stickyThreshold(o.stickyProb);
  const DW = def.displayWords;
  const PREV_ACTION = def.gameWords;
  const HIST = def.gameWords + 1; // FINAL_HIST follows: the GPU's; the CPU copies obs rows
  const fb = S * S;
  let game: ArcadeGame<P> | undefined;
  const env = makeCpuVecEnv({
    spec: def.spec,
    stateWords: arcadeStateWords(def.gameWords, DW),
    numEnvs: def.numEnvs,
    hooks: (s, obs) => {
      const { n, state, draw } = s;
      const st = (k: number, i: number) => k * n + i;
      const canvas: ArcadeCanvas = {
        S,
        span: (v0, v1) => pixelSpan(v0, v1, S, def.field),
        fillSpan(base: number, rows: number, cols: number, v: number): void {
          for (let r = rows & 255; r < rows >>> 8; r++) {
            obs.fill(v, base + r * S + (cols & 255), base + r * S + (cols >>> 8));
          }
        },
        fillCover(base, x0, x1, y0, y1, v): void {
          const F = def.field;
          const rows = pixelSpan(y0, y1, S, F);
          const cols = pixelSpan(x0, x1, S, F);
          for (let r = rows & 255; r < rows >>> 8; r++) {
            const cy = pixelCover(r, y0, y1, S, F);
            for (let c = cols & 255; c < cols >>> 8; c++) {
              const k = base + r * S + c;
              obs[k] = blendGray(obs[k], v, cy * pixelCover(c, x0, x1, S, F), F);
            }
          }
        },
      };
      const g = def.game(s, canvas);
      game = g;

      // Pushes the current frame's display words as the newest of the stack.
      function pushFrame(i: number): void {
        for (let w = 0; w < (FRAMES - 1) * DW; w++) {
          state[st(HIST + w, i)] = state[st(HIST + DW + w, i)];
        }
        for (let k = 0; k < DW; k++) {
          state[st(HIST + (FRAMES - 1) * DW + k, i)] = g.displayWord(i, k);
        }
      }

      return {
        // A new game, then U{0..NOOP_MAX} NOOP frames; every frame of the stack is the first.
        spawn(i: number): void {
          state[st(PREV_ACTION, i)] = 0;
          g.newGame(i);
          const noops = draw(i) % (o.noopMax + 1);
          for (let f = 0; f < noops; f++) g.frame(i, 0);
          for (let f = 0; f < FRAMES; f++) {
            for (let k = 0; k < DW; k++) state[st(HIST + f * DW + k, i)] = g.displayWord(i, k);
          }
        },
        stepOne(i: number, action: number): number {
          let r = 0;
          for (let f = 0; f < o.frameSkip; f++) {
            let a = action;
            if (STICKY > 0 && draw(i) >>> 1 < STICKY) a = state[st(PREV_ACTION, i)];
            state[st(PREV_ACTION, i)] = a;
            r += g.frame(i, a);
            if (g.gameOver(i)) break;
          }
          return r;
        },
        isTerminal: (i: number) => g.gameOver(i),
        // The GPU renders from the display words; the CPU draws only the newest frame.
        writeObs(i: number, fresh: boolean): void {
          const base = i * FRAMES * fb;
          const newest = base + (FRAMES - 1) * fb;
          if (!fresh) {
            pushFrame(i);
            obs.copyWithin(base, base + fb, base + FRAMES * fb);
          }
          obs.fill(o.background, newest, newest + fb);
          g.drawFrame(newest, i, HIST + (FRAMES - 1) * DW);
          if (fresh) {
            for (let f = 0; f < FRAMES - 1; f++) {
              obs.copyWithin(base + f * fb, newest, newest + fb);
            }
          }
        },
        render: (i: number) => def.picture(g.peek(i)),
      };
    },
  });
  const peek = (index: number): P => {
    checkRenderIndex(def.spec.name, index, env.numEnvs);
    return (game as ArcadeGame<P>).peek(index);
  };
  return { ...env, peek };
}
