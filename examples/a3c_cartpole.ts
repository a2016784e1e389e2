/**
 * A3C on CartPole (or any registered vector env) with W Deno workers sharing parameters and
 * RMSProp statistics (Hogwild), on the CPU twins. Prints one line per log interval, writes
 * `metrics.jsonl` and `checkpoint.safetensors` into `--out` (default runs/a3c_cartpole).
 * Ctrl-C stops the workers and writes the checkpoint.
 * Run: `deno run -A examples/a3c_cartpole.ts --workers 2 --steps 400000`.
 *
 * @module
 */

import { Command } from "commander";
import { type AsyncLogRecord, trainAsync } from "../src/algos/async/mod.ts";

const program = new Command()
  .name("a3c_cartpole")
  .description("Train A3C with Deno workers on a state-vector env and print the progress.")
  .option("--env <name>", "environment: cartpole, catch", "cartpole")
  .option("--workers <n>", "actor-learner workers (default: the env's preset)")
  .option("--steps <n>", "global step budget (default: the env's preset)")
  .option("--seed <n>", "seed", "1")
  .option("--target <r>", "stop when the mean return of the last 100 episodes reaches this")
  .option("--out <dir>", "output folder (default runs/a3c_<env>)")
  .addHelpText(
    "after",
    "\nExample:\n  deno run -A examples/a3c_cartpole.ts --env catch --workers 2",
  );
program.parse(["deno", "a3c_cartpole", ...Deno.args]);
const opts = program.opts();

const out = (opts.out as string | undefined) ?? `runs/a3c_${opts.env}`;
await Deno.mkdir(out, { recursive: true });
const metrics = await Deno.open(`${out}/metrics.jsonl`, {
  write: true,
  create: true,
  truncate: true,
});
const encoder = new TextEncoder();

/** One progress line per log record (the shared progress bar replaces this later). */
function formatRecord(r: AsyncLogRecord): string {
  const mean = Number.isNaN(r.returnMean100) ? "    n/a" : r.returnMean100.toFixed(2).padStart(7);
  return `T ${String(r.globalSteps).padStart(9)}  ${
    Math.round(r.stepsPerSecond).toString().padStart(7)
  } steps/s  episodes ${String(r.episodes).padStart(6)} [${r.workerEpisodes.join(" ")}]` +
    `  return(100) ${mean}  lr ${r.lr.toExponential(2)}`;
}

const result = await trainAsync({
  algo: "a3c",
  env: opts.env as string,
  seed: Number(opts.seed),
  checkpointPath: `${out}/checkpoint.safetensors`,
  ...(opts.workers ? { workers: Number(opts.workers) } : {}),
  ...(opts.steps ? { totalSteps: Number(opts.steps) } : {}),
}, {
  targetReturn: opts.target === undefined ? undefined : Number(opts.target),
  async onLog(r) {
    console.log(formatRecord(r));
    await metrics.write(encoder.encode(JSON.stringify(r) + "\n"));
  },
});
metrics.close();
console.log(
  `done (${result.stopReason}): ${result.last.globalSteps} global steps in ` +
    `${result.last.wallSeconds.toFixed(1)} s with ${result.config.workers} workers, mean return ` +
    `of the last 100 episodes ${
      result.last.returnMean100.toFixed(2)
    }; checkpoint ${result.checkpoint}`,
);
