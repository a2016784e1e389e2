/**
 * Records the activation kernels of `shaders/activations.wgsl` (twin: `activations.ts`).
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { type BufferRange, createUniformBuffer, ParamWriter } from "../gpu/buffers.ts";
import { type Dispatch, makeDispatch1d } from "../gpu/plan.ts";
import { type Activation, ACTIVATIONS, checkActivation } from "./activations.ts";

/** Workgroup size of the activation kernels (the shader's WG). */
const WG = 256;

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
  return await makeDispatch1d(gpu, {
    shader: "activations",
    entryPoint: "forward",
    buffers: [params, x, y],
    n,
    wg: WG,
    constants: { ACT: ACTIVATIONS[act] },
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
  return await makeDispatch1d(gpu, {
    shader: "activations",
    entryPoint: "backward",
    buffers: [params, y, dx, dy],
    n,
    wg: WG,
    constants: { ACT: ACTIVATIONS[act] },
  });
}
