/**
 * CartPole-v1 (Barto, Sutton & Anderson 1983) with Gymnasium's constants and Euler
 * integration, in Q16.16 fixed point so the GPU and the CPU agree bit for bit. Action 0
 * pushes the cart left, 1 right (10 N); reward 1 every step (the terminal one included);
 * terminated when |x| > 2.4 m or |θ| > 12°; truncated after `maxEpisodeSteps` (500) steps.
 * Start state uniform in [−0.05, 0.05) per variable. Observation f32 [x, ẋ, θ, θ̇]
 * (m, m/s, rad, rad/s), exact conversions of the fixed-point state.
 *
 * The fixed-point trajectory follows the float64 dynamics to within about 1e-3 over dozens
 * of steps (tested). This module is the twin of `shaders/envs/cartpole.wgsl` (same names,
 * same order) and the one definition of the constants, passed to the shader as pipeline
 * constants by {@link cartPoleKernel}.
 *
 * @module
 */

import { blankFrame, fillDisc, fillRect, thickLine } from "./draw.ts";
import { fx, fxCos, fxDiv, fxMul, fxSin, fxToF32, fxUniform, idiv } from "./fixed.ts";
import type { GpuEnvKernel } from "./gpu_env.ts";
import { checkTimeLimitOptions, TIME_LIMIT_OPTION_KEYS, type TimeLimitOptions } from "./options.ts";
import { makeCpuVecEnv } from "./scaffold.ts";
import type { CpuVecEnv, EnvSpec } from "./types.ts";

/** Options of CartPole: its time limit (default 500 steps). */
export type CartPoleOptions = TimeLimitOptions;

/** Option names of CartPole, for validation. */
export const CARTPOLE_OPTION_KEYS: readonly string[] = TIME_LIMIT_OPTION_KEYS;

/** The physical constants of CartPole-v1 (SI units), as Gymnasium defines them. */
export const CARTPOLE_PHYSICS = {
  gravity: 9.8,
  massCart: 1.0,
  massPole: 0.1,
  /** Half the pole's length (m). */
  length: 0.5,
  forceMag: 10.0,
  /** Seconds per step. */
  tau: 0.02,
  xThreshold: 2.4,
  /** 12° in radians. */
  thetaThreshold: (12 * 2 * Math.PI) / 360,
  initBound: 0.05,
} as const;

const P = CARTPOLE_PHYSICS;

/** The constants in Q16.16, as passed to `shaders/envs/cartpole.wgsl` (without MAX_STEPS). */
export const CARTPOLE_FX: Readonly<Record<string, number>> = {
  GRAVITY: fx(P.gravity),
  MASSPOLE: fx(P.massPole),
  TOTAL_MASS: fx(P.massPole + P.massCart),
  LENGTH: fx(P.length),
  POLEMASS_LENGTH: fx(P.massPole * P.length),
  FORCE_MAG: fx(P.forceMag),
  FOUR_THIRDS: fx(4 / 3),
  TAU_DIV: Math.round(1 / P.tau), // 50: tau = 1/50 s exactly, applied as an integer division
  X_LIMIT: fx(P.xThreshold),
  THETA_LIMIT: fx(P.thetaThreshold),
  INIT_BOUND: fx(P.initBound),
};

/** Default time limit in steps. */
export const CARTPOLE_MAX_STEPS = 500;

/** The env's state words per copy (i32, struct-of-arrays): x, ẋ, θ, θ̇ (Q16.16). */
export const CARTPOLE_STATE_WORDS = 4;
const X = 0;
const X_DOT = 1;
const THETA = 2;
const THETA_DOT = 3;

/** Validated CartPole options with defaults filled in. */
export function checkCartPoleOptions(options?: CartPoleOptions): Required<CartPoleOptions> {
  return checkTimeLimitOptions("cartpole", options, CARTPOLE_MAX_STEPS);
}

/** The spec of CartPole: obs f32 [4], 2 discrete actions, time limit. */
export function cartPoleSpec(options?: CartPoleOptions): EnvSpec {
  const { maxEpisodeSteps } = checkCartPoleOptions(options);
  return {
    name: "cartpole",
    obs: { shape: [4], dtype: "f32" },
    action: { kind: "discrete", n: 2 },
    maxEpisodeSteps,
  };
}

/** The GPU kernel description of CartPole for `makeGpuEnvFromKernel` (src/envs/gpu_env.ts). */
export function cartPoleKernel(options?: CartPoleOptions): GpuEnvKernel {
  return {
    spec: cartPoleSpec(options),
    shader: "envs/cartpole",
    stateWords: CARTPOLE_STATE_WORDS,
    constants: { ...CARTPOLE_FX },
  };
}

/** One fixed-point Euler step of the dynamics (Q16.16 in and out); `push` is 0 or 1. */
export function cartPoleDynamics(
  s: { x: number; xDot: number; theta: number; thetaDot: number },
  push: number,
): { x: number; xDot: number; theta: number; thetaDot: number } {
  const C = CARTPOLE_FX;
  const force = push === 1 ? C.FORCE_MAG : -C.FORCE_MAG;
  const costheta = fxCos(s.theta);
  const sintheta = fxSin(s.theta);
  const temp = fxDiv(
    (force + fxMul(fxMul(C.POLEMASS_LENGTH, fxMul(s.thetaDot, s.thetaDot)), sintheta)) | 0,
    C.TOTAL_MASS,
  );
  const thetaacc = fxDiv(
    (fxMul(C.GRAVITY, sintheta) - fxMul(costheta, temp)) | 0,
    fxMul(
      C.LENGTH,
      (C.FOUR_THIRDS - fxDiv(fxMul(C.MASSPOLE, fxMul(costheta, costheta)), C.TOTAL_MASS)) | 0,
    ),
  );
  const xacc = (temp - fxDiv(fxMul(fxMul(C.POLEMASS_LENGTH, thetaacc), costheta), C.TOTAL_MASS)) |
    0;
  return {
    x: (s.x + idiv(s.xDot, C.TAU_DIV)) | 0,
    xDot: (s.xDot + idiv(xacc, C.TAU_DIV)) | 0,
    theta: (s.theta + idiv(s.thetaDot, C.TAU_DIV)) | 0,
    thetaDot: (s.thetaDot + idiv(thetaacc, C.TAU_DIV)) | 0,
  };
}

/** The CPU form (twin) of `numEnvs` copies of CartPole. Call `reset(seed)` before stepping. */
export function makeCartPoleCpu(numEnvs: number, options?: CartPoleOptions): CpuVecEnv {
  const { X_LIMIT, THETA_LIMIT, INIT_BOUND } = CARTPOLE_FX;
  return makeCpuVecEnv({
    spec: cartPoleSpec(options),
    stateWords: CARTPOLE_STATE_WORDS,
    numEnvs,
    hooks: ({ n, state, draw }, obs) => {
      const st = (k: number, i: number) => k * n + i;
      const startValue = (i: number) => fxUniform(draw(i), -INIT_BOUND, INIT_BOUND);
      return {
        spawn(i: number): void {
          state[st(X, i)] = startValue(i);
          state[st(X_DOT, i)] = startValue(i);
          state[st(THETA, i)] = startValue(i);
          state[st(THETA_DOT, i)] = startValue(i);
        },
        stepOne(i: number, a: number): number {
          const next = cartPoleDynamics({
            x: state[st(X, i)],
            xDot: state[st(X_DOT, i)],
            theta: state[st(THETA, i)],
            thetaDot: state[st(THETA_DOT, i)],
          }, a);
          state[st(X, i)] = next.x;
          state[st(X_DOT, i)] = next.xDot;
          state[st(THETA, i)] = next.theta;
          state[st(THETA_DOT, i)] = next.thetaDot;
          return 1;
        },
        isTerminal(i: number): boolean {
          const x = state[st(X, i)];
          const theta = state[st(THETA, i)];
          return x < -X_LIMIT || x > X_LIMIT || theta < -THETA_LIMIT || theta > THETA_LIMIT;
        },
        writeObs(i: number): void {
          obs[4 * i] = fxToF32(state[st(X, i)]);
          obs[4 * i + 1] = fxToF32(state[st(X_DOT, i)]);
          obs[4 * i + 2] = fxToF32(state[st(THETA, i)]);
          obs[4 * i + 3] = fxToF32(state[st(THETA_DOT, i)]);
        },
        render(index: number) {
          const W = 300;
          const H = 200;
          const frame = blankFrame(W, H, [255, 255, 255]);
          const scale = W / (2 * P.xThreshold);
          const x = fxToF32(state[st(X, index)]);
          const theta = fxToF32(state[st(THETA, index)]);
          const cartY = H * 0.7;
          const cx = W / 2 + x * scale;
          fillRect(frame, 0, cartY + 12, W, cartY + 13, [0, 0, 0]);
          fillRect(frame, cx - 25, cartY - 15, cx + 25, cartY + 12, [40, 40, 40]);
          const poleLen = scale * 2 * P.length;
          const tipX = cx + Math.sin(theta) * poleLen;
          const tipY = cartY - 15 - Math.cos(theta) * poleLen;
          thickLine(frame, cx, cartY - 15, tipX, tipY, 8, [202, 152, 101]);
          fillDisc(frame, cx, cartY - 15, 4, [129, 132, 203]);
          return frame;
        },
      };
    },
  });
}
