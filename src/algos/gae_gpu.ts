/**
 * Records the GAE kernel of `shaders/gae.wgsl` (twin: `gae.ts`).
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { type BufferRange, createUniformBuffer, ParamWriter } from "../gpu/buffers.ts";
import { type Dispatch, makeDispatch1d } from "../gpu/plan.ts";
import { checkGaeParams, type GaeParams } from "./gae.ts";

/** The GPU buffers of a rollout for GAE; layouts as {@link GaeInputs}, flags as u32. */
export interface GaeBuffers {
  /** r_t, f32 [T, N]. */
  readonly rewards: BufferRange;
  /** V(s_t), f32 [T, N]. */
  readonly values: BufferRange;
  /** Terminal flags, u32 [T, N]. */
  readonly terminated: BufferRange;
  /** Time-limit flags, u32 [T, N]. */
  readonly truncated: BufferRange;
  /** V(s_T), f32 [N]. */
  readonly lastValues: BufferRange;
  /** V(s_final) of the env's truncation in the rollout, f32 [N] (read where truncated). */
  readonly finalValues: BufferRange;
  /** Output advantages, f32 [T, N]. */
  readonly advantages: BufferRange;
  /** Output λ-returns, f32 [T, N]. */
  readonly returns: BufferRange;
}

/** Records GAE over a T × N rollout (`Params` and bindings as the twin's): one invocation per env. */
export async function recordGae(gpu: Gpu, b: GaeBuffers & GaeParams): Promise<Dispatch> {
  checkGaeParams(b);
  const { T, N } = b;
  const uniform = createUniformBuffer(
    gpu,
    new ParamWriter().u32(T).u32(N).f32(b.gamma).f32(b.lambda).bytes(),
    "gae",
  );
  const buffers = [
    uniform,
    b.rewards,
    b.values,
    b.terminated,
    b.truncated,
    b.lastValues,
    b.advantages,
    b.returns,
    b.finalValues,
  ];
  return await makeDispatch1d(gpu, { shader: "gae", entryPoint: "main", buffers, n: N, wg: 64 });
}
