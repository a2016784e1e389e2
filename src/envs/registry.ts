/**
 * The env registry: every env by name, in its CPU form (the TypeScript twin) and its GPU
 * form. Options are validated at the door (before any GPU work): an unknown name, a bad
 * `numEnvs`, an unknown option key or an out-of-range value throws a RangeError naming the
 * option, the value and what is allowed.
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import {
  type BreakoutOptions,
  breakoutSpec,
  makeBreakoutCpu,
  makeBreakoutGpu,
} from "./breakout.ts";
import { cartPoleKernel, type CartPoleOptions, cartPoleSpec, makeCartPoleCpu } from "./cartpole.ts";
import { catchKernel, type CatchOptions, catchSpec, makeCatchCpu } from "./catch.ts";
import { makeGpuEnvFromKernel } from "./gpu_env.ts";
import { checkNumEnvs } from "./options.ts";
import { makePendulumCpu, pendulumKernel, type PendulumOptions, pendulumSpec } from "./pendulum.ts";
import type { CpuVecEnv, EnvSpec, GpuVecEnv } from "./types.ts";
import { makePongCpu, makePongGpu, type PongOptions, pongSpec } from "./pong.ts";

/** Names of the registered envs. */
export const ENV_NAMES: readonly string[] = ["catch", "cartpole", "pendulum", "pong", "breakout"];

/** Options of any registered env (each env accepts only its own keys). */
export type EnvOptions =
  | CatchOptions
  | CartPoleOptions
  | PendulumOptions
  | PongOptions
  | BreakoutOptions;

interface Entry {
  spec(options?: EnvOptions): EnvSpec;
  cpu(numEnvs: number, options?: EnvOptions): CpuVecEnv;
  gpu(gpu: Gpu, numEnvs: number, options?: EnvOptions): Promise<GpuVecEnv>;
}

const ENVS: Record<string, Entry> = {
  catch: {
    spec: catchSpec,
    cpu: makeCatchCpu,
    gpu: (gpu, n, o) => makeGpuEnvFromKernel(gpu, catchKernel(o as CatchOptions), n),
  },
  cartpole: {
    spec: cartPoleSpec,
    cpu: makeCartPoleCpu,
    gpu: (gpu, n, o) => makeGpuEnvFromKernel(gpu, cartPoleKernel(o as CartPoleOptions), n),
  },
  pendulum: {
    spec: pendulumSpec,
    cpu: makePendulumCpu,
    gpu: (gpu, n, o) => makeGpuEnvFromKernel(gpu, pendulumKernel(o as PendulumOptions), n),
  },
  pong: {
    spec: pongSpec,
    cpu: makePongCpu,
    gpu: (gpu, n, o) => makePongGpu(gpu, n, o as PongOptions),
  },
  breakout: { spec: breakoutSpec, cpu: makeBreakoutCpu, gpu: makeBreakoutGpu },
};

function entry(name: string): Entry {
  if (typeof name !== "string" || !Object.hasOwn(ENVS, name)) {
    throw new RangeError(
      `env: unknown name ${JSON.stringify(name)}; allowed: ${ENV_NAMES.join(", ")}`,
    );
  }
  return ENVS[name];
}

/** The static description of env `name` with `options` (validates them). */
export function envSpec(name: string, options?: EnvOptions): EnvSpec {
  return entry(name).spec(options);
}

/** The CPU form (TypeScript twin) of `numEnvs` copies of env `name`; call `reset(seed)` next. */
export function makeCpuEnv(name: string, numEnvs: number, options?: EnvOptions): CpuVecEnv {
  const e = entry(name);
  checkNumEnvs(name, numEnvs);
  e.spec(options);
  return e.cpu(numEnvs, options);
}

/**
 * The GPU form of `numEnvs` copies of env `name` on `gpu`; call `reset(seed)` next. Every
 * argument is validated before any GPU work.
 */
export function makeGpuEnv(
  gpu: Gpu,
  name: string,
  numEnvs: number,
  options?: EnvOptions,
): Promise<GpuVecEnv> {
  const e = entry(name);
  checkNumEnvs(name, numEnvs);
  e.spec(options);
  return e.gpu(gpu, numEnvs, options);
}
