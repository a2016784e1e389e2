/**
 * GPU timing with `timestamp-query` where the adapter offers it, wall-clock otherwise.
 *
 * @module
 */

import type { Gpu } from "./device.ts";
import { encodePlan, type Plan, throwIfDeviceErrors } from "./plan.ts";

/** Time of a measured plan: GPU time from timestamps (when available) and wall time. */
export interface PlanTiming {
  /** Mean GPU milliseconds per repeat from timestamp queries; undefined without them. */
  readonly gpuMs?: number;
  /** Mean wall-clock milliseconds per repeat, submit to completion. */
  readonly wallMs: number;
}

/**
 * Runs `plan` `warmup` times untimed, then `repeats` times in one compute pass bracketed by
 * timestamps, and returns the mean time per repeat.
 */
export async function timePlan(
  gpu: Gpu,
  plan: Plan,
  repeats = 10,
  warmup = 2,
): Promise<PlanTiming> {
  const device = gpu.device;
  if (warmup > 0) {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let i = 0; i < warmup; i++) encodePlan(pass, plan);
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  }
  let querySet: GPUQuerySet | undefined;
  let resolve: GPUBuffer | undefined;
  let read: GPUBuffer | undefined;
  if (gpu.hasTimestamps) {
    querySet = device.createQuerySet({ type: "timestamp", count: 2 });
    resolve = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    read = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass(
    querySet
      ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } }
      : {},
  );
  for (let i = 0; i < repeats; i++) encodePlan(pass, plan);
  pass.end();
  if (querySet && resolve && read) {
    enc.resolveQuerySet(querySet, 0, 2, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
  }
  const t0 = performance.now();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  const wallMs = (performance.now() - t0) / repeats;
  throwIfDeviceErrors(gpu);
  let gpuMs: number | undefined;
  if (read && querySet && resolve) {
    await read.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(read.getMappedRange());
    read.unmap();
    if (end > begin) gpuMs = Number(end - begin) / 1e6 / repeats;
    read.destroy();
    resolve.destroy();
    querySet.destroy();
  }
  return { gpuMs, wallMs };
}
