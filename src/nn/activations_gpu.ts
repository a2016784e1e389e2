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

/** The arguments of {@link recordActivationForward}: the twin's, on buffers, and the length. */
export interface ActivationForwardGpuArgs {
  /** The activation. */
  act: Activation;
  /** Input [n]. */
  x: BufferRange;
  /** Output [n]. */
  y: BufferRange;
  /** Elements. */
  n: number;
}

/** The arguments of {@link recordActivationBackward}: the twin's, on buffers, and the length. */
export interface ActivationBackwardGpuArgs {
  /** The activation. */
  act: Activation;
  /** The forward output [n]. */
  y: BufferRange;
  /** Gradient with respect to y [n]. */
  dy: BufferRange;
  /** Gradient with respect to x [n] (written). */
  dx: BufferRange;
  /** Elements. */
  n: number;
}

/** Records y = act(x) over `n` elements. */
export async function recordActivationForward(
  gpu: Gpu,
  { act, x, y, n }: ActivationForwardGpuArgs,
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
  { act, y, dy, dx, n }: ActivationBackwardGpuArgs,
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
