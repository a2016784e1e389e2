/**
 * `deno task bench`: the same work on every available backend — matmul GFLOP/s (the linear
 * layer's kernel), the CPU fast path's GEMM against the TypeScript loop, learner samples/s (forward + backward + RMSProp), env-steps/s of the
 * environments, A2C end to end, and the asynchronous methods' scaling over CPU workers (A3C,
 * W = 1, 2, 4, … up to the cores) — printed as a markdown table with the GPU/CPU ratio per
 * row and written to `bench/results/<adapter>.json`. Sizes are large on a hardware GPU and
 * small on a software adapter or without one. A benchmark, not a test: nothing asserts.
 *
 * @module
 */

import { type Gpu, openGpu } from "../gpu/device.ts";
import { ENV_NAMES } from "../envs/registry.ts";
import { benchA2c } from "./a2c.ts";
import { benchA3c, workerCounts } from "./a3c.ts";
import { benchEnvs, benchPongKernels } from "./envs.ts";
import { benchLearner } from "./learner.ts";
import { benchGemm } from "./gemm.ts";
import { benchMatmul } from "./matmul.ts";
import type { BenchRow } from "./row.ts";
import { benchScore } from "./score.ts";

/** Benchmark groups, in the order they run. */
export const BENCH_GROUPS = [
  "matmul",
  "gemm",
  "learner",
  "envs",
  "pong",
  "a2c",
  "a3c",
  "score",
] as const;

/** Groups run when none are named: all but "score" (time to score trains Pong: an hour). */
export const BENCH_DEFAULT_GROUPS: readonly string[] = BENCH_GROUPS.filter((g) => g !== "score");

/** Pong as the LSTM net reads it: single 42×42 frames. */
const PONG_LSTM = { frameSize: 42, frameStack: 1 };

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Groups to run (default {@link BENCH_DEFAULT_GROUPS}). */
  readonly groups?: readonly string[];
  /** Skip the GPU even when one exists. */
  readonly cpuOnly?: boolean;
  /** Where the JSON goes (default `bench/results/<adapter>.json`). */
  readonly out?: string;
  /** Called with each finished group's rows (progress). */
  readonly onRows?: (group: string, rows: BenchRow[]) => void;
}

/** What {@link runBench} measured. */
export interface BenchReport {
  /** The adapter (or "cpu-only"). */
  readonly device: string;
  /** When it ran (ISO 8601). */
  readonly date: string;
  /** Every figure. */
  readonly rows: BenchRow[];
  /** The JSON file written. */
  readonly file: string;
  /** Groups that threw, with the message; the other groups ran and were written. */
  readonly failures: BenchFailure[];
}

/** A benchmark group that threw (a size over this device's limits, say). */
export interface BenchFailure {
  /** The group's name. */
  readonly group: string;
  /** The error's message. */
  readonly message: string;
}

/** The GPU/CPU ratio of a GPU row against the CPU row of the same group, name and shape. */
export function gpuCpuRatio(rows: readonly BenchRow[], row: BenchRow): number | undefined {
  if (row.backend !== "webgpu") return undefined;
  const cpu = rows.find((o) =>
    o.backend === "cpu" && o.group === row.group && o.name === row.name && o.shape === row.shape
  );
  return cpu ? row.value / cpu.value : undefined;
}

/** The rows as a markdown table with a GPU/CPU column. */
export function benchTable(rows: readonly BenchRow[]): string {
  const lines = [
    "| group | name | shape | backend | value | unit | GPU/CPU |",
    "|---|---|---|---|---:|---|---:|",
  ];
  for (const r of rows) {
    const ratio = gpuCpuRatio(rows, r);
    const value = r.value >= 1e5 ? r.value.toExponential(3) : r.value.toFixed(2);
    lines.push(
      `| ${r.group} | ${r.name} | ${r.shape} | ${r.backend} | ${value} | ${r.unit} | ${
        ratio === undefined ? "" : ratio.toFixed(2)
      } |`,
    );
  }
  return lines.join("\n");
}

/** The group a row belongs to in {@link BENCH_GROUPS} ("pong kernels" rows are "pong"'s). */
function groupOf(row: BenchRow): string {
  return row.group === "pong kernels" || (row.group === "envs" && row.name === "pong")
    ? "pong"
    : row.group;
}

/** The rows of an existing report file, or none when it is missing or unreadable. */
async function readReport(file: string): Promise<BenchRow[]> {
  try {
    const json = JSON.parse(await Deno.readTextFile(file)) as { rows?: BenchRow[] };
    return Array.isArray(json.rows) ? json.rows : [];
  } catch {
    return [];
  }
}

/** A benchmark group's name and the function that measures it. */
export type GroupMeasure = readonly [group: string, measure: () => Promise<BenchRow[]>];

/**
 * Runs the measures whose group is in `selected`, in order. A group that throws is recorded in
 * `failures` with its message and the others still run: a lent GPU machine's time is too
 * scarce to lose every figure to one size the device refuses. `onRows` hears each group's
 * rows (none for a failed group).
 */
export async function measureGroups(
  selected: readonly string[],
  measures: readonly GroupMeasure[],
  onRows?: (group: string, rows: BenchRow[]) => void,
): Promise<{ rows: BenchRow[]; failures: BenchFailure[] }> {
  const rows: BenchRow[] = [];
  const failures: BenchFailure[] = [];
  for (const [group, measure] of measures) {
    if (!selected.includes(group)) continue;
    let got: BenchRow[] = [];
    try {
      got = await measure();
    } catch (err) {
      failures.push({ group, message: err instanceof Error ? err.message : String(err) });
    }
    rows.push(...got);
    onRows?.(group, got);
  }
  return { rows, failures };
}

/**
 * Runs the benchmark groups on every available backend and writes the JSON report: the rows
 * of this run, each with its date, plus the rows of the other groups already in the file. A
 * group that throws is listed in `failures` (and the JSON) while the other groups run on.
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const groups = options.groups ?? BENCH_DEFAULT_GROUPS;
  for (const g of groups) {
    if (!(BENCH_GROUPS as readonly string[]).includes(g)) {
      throw new RangeError(`bench: unknown group "${g}"; allowed: ${BENCH_GROUPS.join(", ")}`);
    }
  }
  const gpu: Gpu | undefined = options.cpuOnly ? undefined : (await openGpu()) ?? undefined;
  const big = gpu !== undefined && !gpu.isFallback;
  const measures: GroupMeasure[] = [
    [
      "matmul",
      () =>
        benchMatmul({
          gpu,
          sizes: big ? [512, 1024, 2048, 4096] : [256, 512],
          cpuSizes: [128, 256],
        }),
    ],
    ["gemm", () => Promise.resolve(benchGemm())],
    ["learner", () =>
      benchLearner({
        gpu,
        gpuBatches: big ? [32, 1024, 8192] : [32],
        cpuBatches: [5, 32, 80],
        repeats: big ? 20 : 3,
      })],
    ["envs", () =>
      benchEnvs({
        gpu,
        names: ENV_NAMES.filter((n) => n !== "pong" && n !== "breakout"),
        sizes: big ? [1024, 16384, 65536] : [64, 1024],
        steps: big ? 200 : 50,
      })],
    // Pong and Breakout render an 84×84×4 u8 stack per copy per step: N from 1 up, smaller on
    // software.
    ["pong", async () => [
      ...await benchEnvs({
        gpu,
        names: ["pong", "breakout"],
        sizes: big ? [1, 16, 256, 4096, 16384, 65536] : [1, 16, 256],
        steps: big ? 100 : 5,
      }),
      ...(gpu ? await benchPongKernels(gpu, big ? [4096, 65536] : [256], big ? 100 : 5) : []),
    ]],
    ["a2c", () =>
      benchA2c({
        gpu,
        cpu: true,
        iterations: big ? 50 : 10,
        cases: big
          ? [
            { env: "cartpole", net: "mlp", numEnvs: 256 },
            { env: "cartpole", net: "mlp", numEnvs: 4096 },
            { env: "pong", net: "ff", numEnvs: 64 },
            { env: "pong", net: "ff", numEnvs: 1024 },
            { env: "pong", net: "lstm", numEnvs: 1024, envOptions: PONG_LSTM },
          ]
          : [
            { env: "catch", net: "mlp", numEnvs: 64 },
            { env: "cartpole", net: "mlp", numEnvs: 256 },
            // The conv nets on a software adapter or the CPU: a few iterations of 8 envs.
            { env: "pong", net: "ff", numEnvs: 8, iterations: 4 },
            { env: "pong", net: "lstm", numEnvs: 8, envOptions: PONG_LSTM, iterations: 4 },
          ],
      })],
    ["a3c", () => benchA3c({ workers: workerCounts(navigator.hardwareConcurrency) })],
    ["score", () => benchScore({ gpu, cpu: true })],
  ];
  const { rows, failures } = await measureGroups(groups, measures, options.onRows);
  const device = gpu?.description ?? "cpu-only";
  const file = options.out ??
    `bench/results/${device.replace(/[^A-Za-z0-9._-]+/g, "_")}.json`;
  const date = new Date().toISOString();
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  // A run of some groups keeps the other groups' rows (and their dates) already in the file.
  const kept = (await readReport(file)).filter((r) => !groups.includes(groupOf(r)));
  const dated = rows.map((r) => ({ ...r, date }));
  await Deno.writeTextFile(
    file,
    JSON.stringify({ device, date, rows: [...kept, ...dated], failures }, null, 2) + "\n",
  );
  return { device, date, rows, file, failures };
}
