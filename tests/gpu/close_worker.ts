/**
 * A Web Worker for device_test.ts: opens the GPU, doubles a buffer, closes the GPU, then
 * opens a fresh device and does it again, and posts both results (or the error).
 *
 * @module
 */

import { closeGpu, openGpu } from "../../src/gpu/device.ts";
import { createStorageBuffer, readU32 } from "../../src/gpu/buffers.ts";

async function double(values: number[]): Promise<number[]> {
  const gpu = await openGpu();
  if (!gpu) throw new Error("no GPU in the worker");
  const code = `@group(0) @binding(0) var<storage, read_write> a: array<u32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < arrayLength(&a)) { a[g.x] = a[g.x] * 2u; }
}`;
  const pipeline = gpu.device.createComputePipeline({
    layout: "auto",
    compute: { module: gpu.device.createShaderModule({ code }), entryPoint: "main" },
  });
  const buffer = createStorageBuffer(gpu, new Uint32Array(values));
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    gpu.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer } }],
    }),
  );
  pass.dispatchWorkgroups(1);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  const out = [...await readU32(gpu, buffer)];
  await closeGpu();
  return out;
}

const scope = globalThis as unknown as { postMessage(m: unknown): void; close(): void };
try {
  scope.postMessage({ first: await double([1, 2, 3]), second: await double([5, 7]) });
} catch (err) {
  scope.postMessage({ error: String(err) });
}
scope.close();
