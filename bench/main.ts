/**
 * `deno task bench`: the same work on every available backend — matmul GFLOP/s (the linear
 * layer's kernel) and env-steps/s of the environments — printed as a markdown table with the
 * GPU/CPU ratio per row and written to `bench/results/<adapter>.json`. Sizes are large on a
 * hardware GPU and small on a software adapter. A benchmark, not a test: nothing asserts.
 *
 * @module
 */

import { openGpu } from "../src/gpu/device.ts";
import { benchEnvs } from "./envs.ts";
import { benchMatmul, type BenchRow } from "./matmul.ts";

const gpu = (await openGpu()) ?? undefined;
const big = gpu !== undefined && !gpu.isFallback;
const rows: BenchRow[] = [
  ...await benchMatmul({
    gpu,
    sizes: big ? [512, 1024, 2048, 4096] : [256, 512],
    cpuSizes: [128, 256],
  }),
  ...await benchEnvs({
    gpu,
    names: ["catch", "cartpole", "pendulum"],
    sizes: big ? [1024, 16384, 65536] : [64, 1024],
    steps: big ? 200 : 50,
  }),
];

const device = gpu?.description ?? "cpu-only";
console.log(`\n| group | name | shape | backend | value | unit | GPU/CPU |`);
console.log(`|---|---|---|---|---:|---|---:|`);
for (const r of rows) {
  const twin = rows.find((o) =>
    o !== r && o.group === r.group && o.name === r.name && o.shape === r.shape &&
    o.backend !== r.backend
  );
  const ratio = r.backend === "webgpu" && twin ? (r.value / twin.value).toFixed(2) : "";
  const value = r.value >= 1e5 ? r.value.toExponential(3) : r.value.toFixed(2);
  console.log(
    `| ${r.group} | ${r.name} | ${r.shape} | ${r.backend} | ${value} | ${r.unit} | ${ratio} |`,
  );
}
const file = `bench/results/${device.replace(/[^A-Za-z0-9._-]+/g, "_")}.json`;
await Deno.mkdir("bench/results", { recursive: true });
await Deno.writeTextFile(
  file,
  JSON.stringify({ device, date: new Date().toISOString(), rows }, null, 2) + "\n",
);
console.log(`\nwrote ${file}`);
gpu?.device.destroy();
