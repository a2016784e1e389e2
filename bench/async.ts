/**
 * Asynchronous-methods scaling: global steps per second of A3C (or another method) with
 * W = 1, 2, 4, 8, 16 Deno workers (capped at `--workers`), each W measured over `--seconds`
 * of steady state (after a warm-up that covers the workers' start). Writes JSON to
 * `bench/results/async-<host>.json` with the speedup over W = 1 and prints a markdown table.
 * Run: `deno run -A bench/async.ts --workers 2`.
 *
 * @module
 */

import { Command } from "commander";
import { ASYNC_ALGOS, type AsyncAlgo, trainAsync } from "../src/algos/async/mod.ts";

/** One measured worker count. */
export interface AsyncBenchRow {
  /** Workers W. */
  readonly workers: number;
  /** Global steps per second in the measured window. */
  readonly stepsPerSecond: number;
  /** stepsPerSecond / stepsPerSecond at W = 1. */
  readonly speedup: number;
  /** Global steps in the measured window. */
  readonly steps: number;
  /** Seconds of the measured window. */
  readonly seconds: number;
}

/**
 * Runs `algo` on `env` with `workers` workers for `warmup + seconds` seconds (stopped by the
 * `shouldStop` hook) and returns the global steps per second of the last `seconds`.
 */
export async function measureAsync(
  algo: AsyncAlgo,
  env: string,
  workers: number,
  seconds: number,
  warmup = 1,
): Promise<{ steps: number; seconds: number }> {
  let t0 = 0;
  let s0 = 0;
  let t1 = 0;
  let s1 = 0;
  let started = 0;
  await trainAsync({
    algo,
    env,
    workers,
    totalSteps: 2_000_000_000,
    logEvery: 1,
    annealLr: false,
  }, {
    handleSigint: false,
    pollMs: 10,
    onLog(r) {
      if (started === 0 && r.globalSteps > 0) started = performance.now();
      const now = performance.now();
      if (started && t0 === 0 && now - started >= warmup * 1000) {
        t0 = now;
        s0 = r.globalSteps;
      }
      if (t0) {
        t1 = now;
        s1 = r.globalSteps;
      }
    },
    shouldStop: () => t0 !== 0 && performance.now() - t0 >= seconds * 1000,
  });
  return { steps: s1 - s0, seconds: (t1 - t0) / 1000 };
}

if (import.meta.main) {
  const program = new Command()
    .name("bench/async")
    .description("Global steps/s of the asynchronous methods for W = 1, 2, 4, 8, 16 workers.")
    .option("--workers <n>", "largest W to measure", "16")
    .option("--algo <name>", `method: ${ASYNC_ALGOS.join(", ")}`, "a3c")
    .option("--env <name>", "environment", "catch")
    .option("--seconds <s>", "measured seconds per W", "3");
  program.parse(["deno", "bench/async", ...Deno.args]);
  const opts = program.opts();
  const maxW = Number(opts.workers);
  const algo = opts.algo as AsyncAlgo;
  if (!ASYNC_ALGOS.includes(algo)) throw new RangeError(`--algo: got ${algo}`);
  const counts = [1, 2, 4, 8, 16].filter((w) => w <= maxW);
  const rows: AsyncBenchRow[] = [];
  for (const w of counts) {
    const m = await measureAsync(algo, opts.env, w, Number(opts.seconds));
    const stepsPerSecond = m.steps / m.seconds;
    rows.push({
      workers: w,
      stepsPerSecond,
      speedup: rows.length ? stepsPerSecond / rows[0].stepsPerSecond : 1,
      ...m,
    });
  }
  const host = Deno.hostname().replace(/[^A-Za-z0-9._-]/g, "_");
  const path = new URL(`./results/async-${host}.json`, import.meta.url);
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    host,
    cpus: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    algo,
    env: opts.env,
    rows,
  };
  await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
  console.log(`| workers | global steps/s | speedup over W=1 |\n|---:|---:|---:|`);
  for (const r of rows) {
    console.log(`| ${r.workers} | ${Math.round(r.stepsPerSecond)} | ${r.speedup.toFixed(2)} |`);
  }
  console.log(
    `\n${algo} on ${opts.env}, ${navigator.hardwareConcurrency} CPUs; wrote ${path.pathname}`,
  );
}
