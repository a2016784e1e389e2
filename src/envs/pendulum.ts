/**
 * Pendulum-v1 (Gymnasium): swing a rod up and hold it there with a continuous torque in
 * [−2, 2] N·m (clipped by the env). θ = 0 is upright. Reward
 * −(θ_norm² + 0.1·θ̇² + 0.001·u²) of the state before the step; θ̇ is clipped to ±8 rad/s;
 * dt 0.05 s, g 10, m 1, l 1; truncated after `maxEpisodeSteps` (200), never terminated.
 * Start θ uniform in [−π, π), θ̇ in [−1, 1). Observation f32 [cos θ, sin θ, θ̇].
 *
 * Physics in Q16.16 fixed point so the GPU and the CPU agree bit for bit: the f32 action is
 * quantised exactly (clamp, then floor(u·2^16)); the reward is computed in
 * fixed point and converted exactly (the return is their f32 sum, kept by the scaffold). θ is
 * kept wrapped in [−π, π). This module is the twin
 * of `shaders/envs/pendulum.wgsl` (same names, same order) and the one definition of the
 * constants, passed to the shader as pipeline constants by {@link pendulumKernel}.
 *
 * @module
 */

import { blankFrame, fillDisc, thickLine } from "./draw.ts";
import { fx, FX_PI, fxCos, fxMul, fxSin, fxToF32, fxUniform, fxWrapAngle, idiv } from "./fixed.ts";
import type { GpuEnvKernel } from "./gpu_env.ts";
import { checkTimeLimitOptions, TIME_LIMIT_OPTION_KEYS, type TimeLimitOptions } from "./options.ts";
import { makeCpuVecEnv } from "./scaffold.ts";
import type { CpuVecEnv, EnvSpec } from "./types.ts";

/** Options of Pendulum: its time limit (default 200 steps). */
export type PendulumOptions = TimeLimitOptions;

/** Option names of Pendulum, for validation. */
export const PENDULUM_OPTION_KEYS: readonly string[] = TIME_LIMIT_OPTION_KEYS;

/** The physical constants of Pendulum-v1 (SI units), as Gymnasium defines them. */
export const PENDULUM_PHYSICS = {
  maxSpeed: 8,
  maxTorque: 2,
  dt: 0.05,
  g: 10,
  m: 1,
  l: 1,
  speedCost: 0.1,
  torqueCost: 0.001,
  initSpeed: 1,
} as const;

const P = PENDULUM_PHYSICS;

/** The constants as passed to `shaders/envs/pendulum.wgsl` (Q16.16 or exact divisors). */
export const PENDULUM_FX: Readonly<Record<string, number>> = {
  MAX_SPEED: fx(P.maxSpeed),
  MAX_TORQUE: P.maxTorque,
  DT_DIV: Math.round(1 / P.dt), // 20
  GRAV_COEF: fx((3 * P.g) / (2 * P.l)),
  TORQUE_COEF: fx(3 / (P.m * P.l * P.l)),
  SPEED_COST_DIV: Math.round(1 / P.speedCost), // 10
  TORQUE_COST_DIV: Math.round(1 / P.torqueCost), // 1000
  INIT_SPEED: fx(P.initSpeed),
};

/** Default time limit in steps. */
export const PENDULUM_MAX_STEPS = 200;

/** The env's state words per copy (i32, struct-of-arrays): θ, θ̇ (Q16.16). */
export const PENDULUM_STATE_WORDS = 2;
const THETA = 0;
const THETA_DOT = 1;

/** Validated Pendulum options with defaults filled in. */
export function checkPendulumOptions(options?: PendulumOptions): Required<PendulumOptions> {
  return checkTimeLimitOptions("pendulum", options, PENDULUM_MAX_STEPS);
}

/** The spec of Pendulum: obs f32 [3], a box action of 1 float in [−2, 2], time limit. */
export function pendulumSpec(options?: PendulumOptions): EnvSpec {
  const { maxEpisodeSteps } = checkPendulumOptions(options);
  return {
    name: "pendulum",
    obs: { shape: [3], dtype: "f32" },
    action: { kind: "box", size: 1, low: -P.maxTorque, high: P.maxTorque },
    maxEpisodeSteps,
  };
}

/** The GPU kernel description of Pendulum for `makeGpuEnvFromKernel` (src/envs/gpu_env.ts). */
export function pendulumKernel(options?: PendulumOptions): GpuEnvKernel {
  return {
    spec: pendulumSpec(options),
    shader: "envs/pendulum",
    stateWords: PENDULUM_STATE_WORDS,
    constants: { ...PENDULUM_FX },
  };
}

/** The action in Q16.16: clamp to [−2, 2], scale by 2^16, floor (exact; twin of the WGSL). */
export function quantizeTorque(a: number): number {
  const m = PENDULUM_FX.MAX_TORQUE;
  return Math.floor(Math.min(Math.max(Math.fround(a), -m), m) * 65536) | 0;
}

/** One fixed-point step (Q16.16 in and out): the new θ, θ̇ and the cost of the old state. */
export function pendulumDynamics(
  theta: number,
  thetaDot: number,
  u: number,
): { theta: number; thetaDot: number; cost: number } {
  const C = PENDULUM_FX;
  const cost = (fxMul(theta, theta) + idiv(fxMul(thetaDot, thetaDot), C.SPEED_COST_DIV) +
    idiv(fxMul(u, u), C.TORQUE_COST_DIV)) | 0;
  let newThetaDot = (thetaDot +
    idiv((fxMul(C.GRAV_COEF, fxSin(theta)) + fxMul(C.TORQUE_COEF, u)) | 0, C.DT_DIV)) | 0;
  newThetaDot = Math.min(Math.max(newThetaDot, -C.MAX_SPEED), C.MAX_SPEED);
  const newTheta = fxWrapAngle((theta + idiv(newThetaDot, C.DT_DIV)) | 0);
  return { theta: newTheta, thetaDot: newThetaDot, cost };
}

/** The CPU form (twin) of `numEnvs` copies of Pendulum. Call `reset(seed)` before stepping. */
export function makePendulumCpu(numEnvs: number, options?: PendulumOptions): CpuVecEnv {
  const { INIT_SPEED } = PENDULUM_FX;
  return makeCpuVecEnv({
    spec: pendulumSpec(options),
    stateWords: PENDULUM_STATE_WORDS,
    numEnvs,
    hooks: ({ n, state, draw }, obs) => {
      const st = (k: number, i: number) => k * n + i;
      return {
        spawn(i: number): void {
          state[st(THETA, i)] = fxUniform(draw(i), -FX_PI, FX_PI);
          state[st(THETA_DOT, i)] = fxUniform(draw(i), -INIT_SPEED, INIT_SPEED);
        },
        stepOne(i: number, a: number): number {
          const u = quantizeTorque(a);
          const next = pendulumDynamics(state[st(THETA, i)], state[st(THETA_DOT, i)], u);
          state[st(THETA, i)] = next.theta;
          state[st(THETA_DOT, i)] = next.thetaDot;
          return fxToF32(-next.cost | 0);
        },
        isTerminal: () => false,
        writeObs(i: number): void {
          const theta = state[st(THETA, i)];
          obs[3 * i] = fxToF32(fxCos(theta));
          obs[3 * i + 1] = fxToF32(fxSin(theta));
          obs[3 * i + 2] = fxToF32(state[st(THETA_DOT, i)]);
        },
        render(index: number) {
          const S = 200;
          const frame = blankFrame(S, S, [255, 255, 255]);
          const theta = fxToF32(state[st(THETA, index)]);
          const len = S * 0.4;
          const tipX = S / 2 - Math.sin(theta) * len;
          const tipY = S / 2 - Math.cos(theta) * len;
          thickLine(frame, S / 2, S / 2, tipX, tipY, 16, [204, 77, 77]);
          fillDisc(frame, tipX, tipY, 8, [204, 77, 77]);
          fillDisc(frame, S / 2, S / 2, 4, [0, 0, 0]);
          return frame;
        },
      };
    },
  });
}
