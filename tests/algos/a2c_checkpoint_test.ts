import assert from "node:assert/strict";
import { loadA2cCheckpoint, saveA2cCheckpoint } from "../../src/algos/a2c/checkpoint.ts";
import { resolveA2cConfig } from "../../src/algos/a2c/config.ts";
import { makeA2cCpu } from "../../src/algos/a2c/cpu.ts";
import { makeA2cGpu } from "../../src/algos/a2c/gpu.ts";
import { trainA2c } from "../../src/algos/a2c/train.ts";
import { gpuTest } from "../util.ts";

Deno.test("a2c checkpoint: save, resume into a fresh runner, continue to the budget", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/checkpoint.safetensors`;
  const config = resolveA2cConfig({ env: "catch", backend: "cpu", totalSteps: 4000, seed: 5 });
  const first = makeA2cCpu(config);
  for (let i = 0; i < 10; i++) first.iterate();
  await saveA2cCheckpoint(path, first, config, { note: "test" });

  const second = makeA2cCpu(config);
  const info = await loadA2cCheckpoint(path, second);
  assert.equal(info.iterations, 10);
  assert.equal(info.metadata.note, "test");
  assert.equal(second.iterations, 10);
  assert.deepEqual(await second.getParams(), await first.getParams());
  const a = await first.getOptimizerState();
  const b = await second.getOptimizerState();
  assert.deepEqual(b.first, a.first);
  assert.equal(b.step, a.step);

  // Training continues from iteration 11 up to the same budget.
  const result = await trainA2c(config, {}, undefined, {
    runner: second,
    backend: { backend: "cpu", reason: "test" },
  });
  assert.equal(result.last.iterations, Math.ceil(4000 / (config.numEnvs * config.rolloutSteps)));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a2c checkpoint: a mismatched net or a truncated file is refused, runner untouched", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/checkpoint.safetensors`;
  const config = resolveA2cConfig({ env: "catch", backend: "cpu", seed: 5 });
  const runner = makeA2cCpu(config);
  runner.iterate();
  await saveA2cCheckpoint(path, runner, config);

  const other = makeA2cCpu(resolveA2cConfig({ env: "catch", backend: "cpu", hidden: [16] }));
  const before = await other.getParams();
  await assert.rejects(loadA2cCheckpoint(path, other), /shape/);
  assert.deepEqual(await other.getParams(), before);
  assert.equal(other.iterations, 0);

  const bytes = await Deno.readFile(path);
  await Deno.writeFile(path, bytes.subarray(0, bytes.length - 100));
  await assert.rejects(loadA2cCheckpoint(path, makeA2cCpu(config)), /checkpoint:/);
  await assert.rejects(loadA2cCheckpoint(`${dir}/missing`, runner), /no file at/);
  await Deno.remove(dir, { recursive: true });
});

gpuTest("a2c checkpoint: a GPU run's checkpoint resumes on the CPU backend", async (gpu) => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/checkpoint.safetensors`;
  const config = resolveA2cConfig({ env: "catch", seed: 2, numEnvs: 5 });
  const onGpu = await makeA2cGpu(config, gpu);
  for (let i = 0; i < 4; i++) onGpu.iterate();
  await saveA2cCheckpoint(path, onGpu, config);
  const cpu = makeA2cCpu(config);
  await loadA2cCheckpoint(path, cpu);
  assert.equal(cpu.iterations, 4);
  assert.deepEqual(await cpu.getParams(), await onGpu.getParams());
  assert.deepEqual((await cpu.getOptimizerState()).first, (await onGpu.getOptimizerState()).first);
  assert.equal((await cpu.getOptimizerState()).step, 4);
  onGpu.dispose();
  await Deno.remove(dir, { recursive: true });
});
