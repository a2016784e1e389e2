/**
 * The asynchronous value-based methods on Catch with W Deno workers: one-step Q-learning,
 * one-step Sarsa or n-step Q-learning (target network, per-worker final ε), on the CPU
 * twins. Prints one line per log interval and the greedy policy's score at the end; writes
 * `metrics.jsonl` and `checkpoint.safetensors` into `--out` (default runs/q_catch_<algo>).
 * Ctrl-C stops the workers and writes the checkpoint.
 * Run: `deno run -A examples/q_catch.ts --algo n-step-q --workers 2`.
 *
 * @module
 */

import { Command } from "commander";
import { type AsyncQConfig, evaluateGreedy, trainAsync } from "../src/algos/async/mod.ts";

const ALGOS = ["one-step-q", "one-step-sarsa", "sarsa", "n-step-q"];
const program = new Command()
  .name("q_catch")
  .description("Train an asynchronous Q-learning method with Deno workers on Catch.")
  .option("--algo <name>", `method: ${ALGOS.join(", ")}`, "n-step-q")
  .option("--env <name>", "environment", "catch")
  .option("--workers <n>", "actor-learner workers (default: the env's preset)")
  .option("--steps <n>", "global step budget (default: the env's preset)")
  .option("--seed <n>", "seed", "1")
  .option("--out <dir>", "output folder (default runs/q_<env>_<algo>)")
  .addHelpText(
    "after",
    "\nExample:\n  deno run -A examples/q_catch.ts --algo sarsa --steps 300000",
  );
program.parse(["deno", "q_catch", ...Deno.args]);
const opts = program.opts();
if (!ALGOS.includes(opts.algo)) {
  console.error(`--algo: got ${JSON.stringify(opts.algo)}, allowed: ${ALGOS.join(", ")}`);
  Deno.exit(2);
}
const algo = (opts.algo === "sarsa" ? "one-step-sarsa" : opts.algo) as AsyncQConfig["algo"];

const out = (opts.out as string | undefined) ?? `runs/q_${opts.env}_${algo}`;
await Deno.mkdir(out, { recursive: true });
const metrics = await Deno.open(`${out}/metrics.jsonl`, {
  write: true,
  create: true,
  truncate: true,
});
const encoder = new TextEncoder();

const result = await trainAsync({
  algo,
  env: opts.env as string,
  seed: Number(opts.seed),
  checkpointPath: `${out}/checkpoint.safetensors`,
  ...(opts.workers ? { workers: Number(opts.workers) } : {}),
  ...(opts.steps ? { totalSteps: Number(opts.steps) } : {}),
}, {
  async onLog(r) {
    const mean = Number.isNaN(r.returnMean100) ? "    n/a" : r.returnMean100.toFixed(2).padStart(7);
    console.log(
      `T ${String(r.globalSteps).padStart(9)}  ${
        Math.round(r.stepsPerSecond).toString().padStart(7)
      } steps/s  episodes ${String(r.episodes).padStart(6)}  return(100) ${mean}  ε ${
        r.workerEntropyOrEpsilon.map((e) => e.toFixed(2)).join(" ")
      }  targets ${r.targetRefreshes}`,
    );
    await metrics.write(encoder.encode(JSON.stringify(r) + "\n"));
  },
});
metrics.close();
const greedy = evaluateGreedy(result.config, result.shared.params, 200, result.config.seed + 1000);
console.log(
  `done (${result.stopReason}): ${result.last.globalSteps} global steps in ` +
    `${result.last.wallSeconds.toFixed(1)} s; training return(100) ${
      result.last.returnMean100.toFixed(2)
    } (with exploration), greedy return over 200 episodes ${greedy.toFixed(2)}; ` +
    `checkpoint ${result.checkpoint}`,
);
