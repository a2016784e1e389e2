import assert from "node:assert/strict";
import { type BenchRow, gpuCpuRatio, measureGroups } from "../../src/bench/mod.ts";

const row = (group: string, backend: "cpu" | "webgpu", value: number): BenchRow => ({
  group,
  name: "x",
  shape: "N=1",
  backend,
  value,
  unit: "env-steps/s",
});

Deno.test("bench: a group that throws is reported by name and the next groups still run", async () => {
  const heard: string[] = [];
  const { rows, failures } = await measureGroups(
    ["envs", "pong", "a2c"],
    [
      ["matmul", () => Promise.resolve([row("matmul", "cpu", 1)])], // not selected
      ["envs", () => Promise.resolve([row("envs", "cpu", 2)])],
      ["pong", () => Promise.reject(new RangeError("obs: 1849688064 bytes exceeds the limit"))],
      ["a2c", () => Promise.resolve([row("a2c", "cpu", 3), row("a2c", "webgpu", 6)])],
    ],
    (group, got) => heard.push(`${group}:${got.length}`),
  );
  assert.deepEqual(rows.map((r) => r.group), ["envs", "a2c", "a2c"]);
  assert.deepEqual(failures, [{
    group: "pong",
    message: "obs: 1849688064 bytes exceeds the limit",
  }]);
  assert.deepEqual(heard, ["envs:1", "pong:0", "a2c:2"]);
  assert.equal(gpuCpuRatio(rows, rows[2]), 2);
});
