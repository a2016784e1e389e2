/**
 * Static plans (docs/architecture.md): a training step is recorded once as a list of dispatches,
 * each with its pipeline and bind group already made, and replayed every iteration inside one
 * compute pass of one command encoder.
 *
 * @module
 */

import type { Gpu } from "./device.ts";
import type { BufferRange } from "./buffers.ts";
import { bindBuffers, getPipeline } from "./pipelines.ts";

/** One recorded kernel launch. */
export interface Dispatch {
  /** Kernel name for errors and timing, e.g. "linear.forward". */
  readonly kernel: string;
  /** The compiled pipeline. */
  readonly pipeline: GPUComputePipeline;
  /** Bind group 0 with the kernel's buffers. */
  readonly bindGroup: GPUBindGroup;
  /** Workgroup counts in x, y, z. */
  readonly workgroups: readonly [number, number, number];
}

/** An ordered list of dispatches: a kernel, a layer, or a whole training step. */
export type Plan = readonly Dispatch[];

/**
 * Records one dispatch: compiles (or reuses) the pipeline `shader.entryPoint`, binds `buffers`
 * to bindings 0..n-1 (an `undefined` entry skips its binding), and checks the workgroup counts against the device's limit.
 */
export async function makeDispatch(
  gpu: Gpu,
  shader: string,
  entryPoint: string,
  buffers: readonly (BufferRange | undefined)[],
  workgroups: readonly [number, number?, number?],
  constants: Record<string, number> = {},
): Promise<Dispatch> {
  const kernel = `${shader}.${entryPoint}`;
  const counts: [number, number, number] = [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1];
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  for (const c of counts) {
    if (!Number.isInteger(c) || c < 0 || c > max) {
      throw new RangeError(
        `kernel ${kernel}: workgroup count ${c} outside [0, ${max}] (maxComputeWorkgroupsPerDimension); ` +
          "the problem is too large for one dispatch",
      );
    }
  }
  const pipeline = await getPipeline(gpu, shader, entryPoint, constants);
  const bindGroup = bindBuffers(gpu, pipeline, buffers, kernel);
  return { kernel, pipeline, bindGroup, workgroups: counts };
}

/** Encodes `plan` into an open compute pass. */
export function encodePlan(pass: GPUComputePassEncoder, plan: Plan): void {
  for (const d of plan) {
    if (d.workgroups[0] * d.workgroups[1] * d.workgroups[2] === 0) continue;
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
}

/**
 * Submits `plan` (repeated `repeats` times) in one compute pass of one command encoder. Does
 * not wait for the GPU. Throws when the device has reported an error since the last check.
 */
export function submitPlan(gpu: Gpu, plan: Plan, repeats = 1): void {
  throwIfDeviceErrors(gpu);
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let r = 0; r < repeats; r++) encodePlan(pass, plan);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
}

/** Submits `plan` and waits until the GPU has finished it; then checks for device errors. */
export async function runPlan(gpu: Gpu, plan: Plan, repeats = 1): Promise<void> {
  submitPlan(gpu, plan, repeats);
  await gpu.device.queue.onSubmittedWorkDone();
  throwIfDeviceErrors(gpu);
}

/**
 * Throws the device errors collected so far (uncaptured validation errors and device loss),
 * which name the kernel through its label, and clears them.
 */
export function throwIfDeviceErrors(gpu: Gpu): void {
  if (gpu.errors.length === 0) return;
  const messages = gpu.errors.splice(0, gpu.errors.length);
  throw new Error(`GPU error: ${messages.join("\n")}`);
}

/**
 * Workgroup counts covering `n` invocations with workgroups of `workgroupSize` in a 1-D
 * kernel that computes its index as `gid.x + gid.y * num_workgroups.x * workgroupSize`
 * (`flat_index` of shaders/grid.wgsl; the y dimension takes over past the 65,535-workgroup
 * limit of x).
 */
export function grid1d(n: number, workgroupSize: number): [number, number, number] {
  const groups = Math.ceil(n / workgroupSize);
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}

/** Arguments of {@link makeDispatch1d}. */
export interface Dispatch1dArgs {
  /** Shader name (path under `shaders/` without `.wgsl`). */
  shader: string;
  /** Its entry point. */
  entryPoint: string;
  /** Bound to bindings 0, 1, 2, ...; an `undefined` entry skips its binding. */
  buffers: readonly (BufferRange | undefined)[];
  /** Invocations: one per element, row or copy. */
  n: number;
  /**
   * The workgroup size: passed as the shader's `override WG` (shaders/grid.wgsl) and used
   * for the grid, so that the number is written once, by the recorder.
   */
  wg: number;
  /** Further pipeline-overridable constants. */
  constants?: Record<string, number>;
}

/** Records a 1-D kernel over `n` invocations in workgroups of `wg` ({@link grid1d}). */
export function makeDispatch1d(gpu: Gpu, a: Dispatch1dArgs): Promise<Dispatch> {
  return makeDispatch(gpu, a.shader, a.entryPoint, a.buffers, grid1d(a.n, a.wg), {
    ...a.constants,
    WG: a.wg,
  });
}
