/**
 * A3C on Pong from pixels with W Deno workers: `deno run -A examples/a3c_pong.ts`.
 *
 * The paper's own setting: actor-learners on CPU cores, each with its own Pong and the A3C
 * paper's feed-forward conv net on 84×84×4 frames (or, with `--net lstm`, the 42×42 conv +
 * LSTM net on single frames), rewards clipped to [−1, 1], Hogwild updates of shared
 * parameters and shared RMSProp statistics. Shows progress, stops at the budget or at
 * `--target`, and writes a run folder (`config.json`, `metrics.jsonl`, `curve.svg`,
 * `checkpoint.safetensors`) and `pong.gif` of the agent (on the right, in green).
 *
 * The CPU twins run a conv net slowly (tens of steps per second per worker), and Pong takes
 * millions of steps to learn, so the default budget only shows it running; the paper used
 * 16 workers for about a day. `--steps` sets a real budget.
 *
 * @module
 */

import { Command } from "commander";
import { main } from "../src/cli/main.ts";
import { defaultRunName, readMetrics, runPath } from "../src/cli/run_dir.ts";

/** Global steps of the paper-like run (16 workers). */
const FULL_BUDGET = 20_000_000;
/** Default budget: enough to see it run on a CPU. */
const DEFAULT_BUDGET = 4_000;

const program = new Command()
  .name("a3c_pong")
  .description("A3C with Deno workers on Pong from pixels; writes a run folder and a GIF.")
  .option("--workers <n>", "actor-learner workers (default: the CPU cores, at most 16)")
  .option("--steps <n>", "global step budget", String(DEFAULT_BUDGET))
  .option("--net <kind>", "ff (the paper's FF net, 84×84×4) or lstm (42×42 conv + LSTM)", "ff")
  .option("--target <r>", "stop when the mean return of the last 100 episodes reaches this", "18")
  .option("--seed <n>", "seed of everything", "1")
  .option("--out <dir>", "parent folder of run folders", "runs")
  .option("--name <name>", "run folder name (default a3c-pong-<timestamp>)")
  .addHelpText(
    "after",
    "\nExamples:\n  deno run -A examples/a3c_pong.ts\n" +
      `  deno run -A examples/a3c_pong.ts --workers 16 --steps ${FULL_BUDGET}\n` +
      "  deno run -A examples/a3c_pong.ts --net lstm --steps 2000",
  );
program.parse(["deno", "a3c_pong", ...Deno.args]);
const opts = program.opts();

const workers = opts.workers ?? String(Math.min(16, navigator.hardwareConcurrency));
const name = opts.name ?? defaultRunName("a3c", "pong");
const dir = `${opts.out}/${name}`;
const lstm = opts.net === "lstm";
let code = await main([
  "train",
  "--algo",
  "a3c",
  "--env",
  "pong",
  "--net",
  opts.net,
  // The LSTM net reads single 42×42 frames (its memory replaces the frame stack).
  ...(lstm ? ["--env-option", "frameSize=42", "--env-option", "frameStack=1"] : []),
  "--workers",
  workers,
  "--steps",
  opts.steps,
  "--target",
  opts.target,
  "--seed",
  opts.seed,
  "--log-every",
  String(Math.max(500, Math.min(50_000, Math.floor(Number(opts.steps) / 8)))),
  "--out",
  opts.out,
  "--name",
  name,
], { listenSigint: true });
if (code === 0) {
  const records = await readMetrics(dir);
  const last = records[records.length - 1];
  if (last && Number(opts.steps) < FULL_BUDGET) {
    const hours = FULL_BUDGET / last.stepsPerSecond / 3600;
    console.log(
      `${Math.round(last.stepsPerSecond)} global steps/s with ${workers} workers: the ` +
        `${FULL_BUDGET} steps of a paper-like run would take about ${hours.toFixed(0)} hours here.`,
    );
  }
  code = await main(["play", dir, "--gif", runPath(dir, "pong.gif"), "--frames", "600"]);
}
Deno.exit(code);
