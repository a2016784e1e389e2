/**
 * Records the activation kernels of `shaders/activations.wgsl` (twin: `activations.ts`).
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { type BufferRange, createUniformBuffer, ParamWriter } from "../gpu/buffers.ts";
import { type Dispatch, grid1d, makeDispatch } from "../gpu/plan.ts";
import { type Activation, ACTIVATIONS, checkActivation } from "./activations.ts";

/** Records y = act(x) over `n` elements. */
export async function recordActivationForward(
  gpu: Gpu,
  act: Activation,
  x: BufferRange,
  y: BufferRange,
  n: number,
): Promise<Dispatch> {
  checkActivation(act);
  const params = createUniformBuffer(gpu, new ParamWriter().u32(n).bytes(), `${act}.forward`);
  return await makeDispatch(gpu, "activations", "forward", [params, x, y], grid1d(n), {
    ACT: ACTIVATIONS[act],
  });
}

/** Records dx = dy · act'(from y) over `n` elements. */
export async function recordActivationBackward(
  gpu: Gpu,
  act: Activation,
  y: BufferRange,
  dy: BufferRange,
  dx: BufferRange,
  n: number,
): Promise<Dispatch> {
  checkActivation(act);
  const params = createUniformBuffer(gpu, new ParamWriter().u32(n).bytes(), `${act}.backward`);
  return await makeDispatch(gpu, "activations", "backward", [params, y, dx, dy], grid1d(n), {
    ACT: ACTIVATIONS[act],
  });
}
