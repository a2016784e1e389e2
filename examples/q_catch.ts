/**
 * The paper's asynchronous value-based methods learn Catch with W Deno workers:
 * `deno run -A examples/q_catch.ts --algo n-step-q` (or one-step-q, one-step-sarsa).
 *
 * A target network θ⁻ refreshed every I_target global steps, ε-greedy exploration with each
 * worker annealing to its own final ε drawn from {0.1, 0.01, 0.5}, and Hogwild updates of
 * shared parameters with shared RMSProp statistics. Shows progress and writes a run folder
 * (`config.json`, `metrics.jsonl`, `curve.svg`, `checkpoint.safetensors`), then evaluates
 * the greedy policy (`eval.json`) and writes `play.gif`. It is `rl train --algo <method>`.
 *
 * @module
 */

import { Command } from "commander";
import { main } from "../src/cli/main.ts";
import { defaultRunName, runPath } from "../src/cli/run_dir.ts";

const METHODS = ["one-step-q", "one-step-sarsa", "n-step-q"];
const program = new Command()
  .name("q_catch")
  .description("Asynchronous one-step Q, one-step Sarsa or n-step Q learns Catch.")
  .option("--algo <name>", `method: ${METHODS.join(", ")}`, "n-step-q")
  .option("--workers <n>", "actor-learner workers (default: the preset, 2)")
  .option("--steps <n>", "global step budget (default: the preset, 300000)")
  .option("--seed <n>", "seed of everything", "1")
  .option("--out <dir>", "parent folder of run folders", "runs")
  .option("--name <name>", "run folder name (default <algo>-catch-<timestamp>)")
  .addHelpText(
    "after",
    "\nExample:\n  deno run -A examples/q_catch.ts --algo one-step-sarsa --workers 2",
  );
program.parse(["deno", "q_catch", ...Deno.args]);
const opts = program.opts();
if (!METHODS.includes(opts.algo)) {
  console.error(`error: --algo: got ${JSON.stringify(opts.algo)}, allowed: ${METHODS.join(", ")}`);
  Deno.exit(1);
}

const name = opts.name ?? defaultRunName(opts.algo, "catch");
const dir = `${opts.out}/${name}`;
let code = await main([
  "train",
  "--algo",
  opts.algo,
  "--env",
  "catch",
  "--seed",
  opts.seed,
  "--out",
  opts.out,
  "--name",
  name,
  ...(opts.workers ? ["--workers", opts.workers] : []),
  ...(opts.steps ? ["--steps", opts.steps] : []),
], { listenSigint: true });
if (code === 0) code = await main(["eval", dir, "--episodes", "200"]);
if (code === 0) code = await main(["play", dir, "--gif", runPath(dir, "play.gif")]);
Deno.exit(code);
