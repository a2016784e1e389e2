import assert from "node:assert/strict";
import { selectBackend } from "../../src/gpu/device.ts";
import { checkBufferSize, createStorageBuffer, readU32 } from "../../src/gpu/buffers.ts";
import { makeDispatch, runPlan } from "../../src/gpu/plan.ts";
import { SHADER_SOURCES } from "../../src/gpu/shader_sources.ts";
import { randU32 } from "../../src/util/rng.ts";
import { gpuTest, testGpu } from "../util.ts";

Deno.test("backend: cpu is always available and says why", async () => {
  const choice = await selectBackend("cpu");
  assert.equal(choice.backend, "cpu");
  assert.match(choice.reason, /CPU backend was asked for/);
});

Deno.test("backend: auto picks a hardware GPU, else the CPU, and gives the reason", async () => {
  const choice = await selectBackend("auto");
  if (testGpu && !testGpu.isFallback) assert.equal(choice.backend, "webgpu");
  else assert.equal(choice.backend, "cpu");
  assert.ok(choice.reason.length > 10);
});

Deno.test("backend: an unknown name is refused, listing the allowed ones", async () => {
  await assert.rejects(
    () => selectBackend("cuda" as "cpu"),
    /backend: got "cuda", allowed: auto, webgpu, cpu/,
  );
});

gpuTest("buffers: a buffer beyond the binding limit is refused, naming the limit", (gpu) => {
  const limit = gpu.limits.maxStorageBufferBindingSize;
  assert.throws(
    () => checkBufferSize(gpu, "rollout.obs", limit + 4),
    new RegExp(`rollout.obs: ${limit + 4} bytes exceeds this device's`),
  );
  assert.throws(() => createStorageBuffer(gpu, limit + 4, "big"), /big: .* exceeds/);
  return Promise.resolve();
});

gpuTest("pipelines: an unknown shader is refused, naming it", async (gpu) => {
  await assert.rejects(
    () => makeDispatch(gpu, "no_such_shader", "main", [], [1]),
    /unknown shader "no_such_shader"/,
  );
});

gpuTest("rng: WGSL rand_u32 matches the TypeScript twin bit for bit", async (gpu) => {
  const n = 777;
  const code = SHADER_SOURCES["rng"] + `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= ${n}u) { return; }
  out[gid.x] = rand_u32(123456789u + gid.x * 7u, gid.x, gid.x * 3u + 1u);
}`;
  const module = gpu.device.createShaderModule({ code });
  const pipeline = gpu.device.createComputePipeline({
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const out = createStorageBuffer(gpu, n * 4);
  const bindGroup = gpu.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: out } }],
  });
  await runPlan(gpu, [{ kernel: "rng.test", pipeline, bindGroup, workgroups: [13, 1, 1] }]);
  const got = await readU32(gpu, out);
  const expected = Array.from({ length: n }, (_, i) => randU32(123456789 + i * 7, i, i * 3 + 1));
  assert.deepEqual([...got], expected);
});

gpuTest("copy: words land at the destination offset; bad ranges are refused", async (gpu) => {
  const { recordCopy } = await import("../../src/gpu/copy.ts");
  const src = createStorageBuffer(gpu, new Uint32Array(Array.from({ length: 300 }, (_, i) => i)));
  const dst = createStorageBuffer(gpu, new Uint32Array(600), "dst");
  await runPlan(gpu, [await recordCopy(gpu, src, dst, 290, 7, 301)]);
  const got = await readU32(gpu, dst);
  const expected = new Uint32Array(600);
  for (let i = 0; i < 290; i++) expected[301 + i] = 7 + i;
  assert.deepEqual([...got], [...expected]);
  await assert.rejects(() => recordCopy(gpu, src, dst, 290, 0, 400), /destination dst holds 600/);
});
