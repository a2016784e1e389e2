/**
 * A3C learns CartPole with W Deno workers: `deno run -A examples/a3c_cartpole.ts`.
 *
 * Each worker is an actor-learner with its own env copy; all of them update one set of
 * parameters and one set of RMSProp statistics in shared memory without locks (Hogwild).
 * Shows a progress line (global steps, steps/s, episodes, mean return of the last 100, ETA),
 * stops at the budget or when the mean return reaches `--target`, and writes a run folder:
 * `config.json`, `metrics.jsonl`, `curve.svg`, `checkpoint.safetensors`, `eval.json` and
 * `play.gif`. It is `rl train --algo a3c` with CartPole's preset; Ctrl-C stops the workers and
 * writes the checkpoint.
 *
 * @module
 */

import { Command } from "commander";
import { main } from "../src/cli/main.ts";
import { defaultRunName, runPath } from "../src/cli/run_dir.ts";

const program = new Command()
  .name("a3c_cartpole")
  .description("A3C with Deno workers learns CartPole; writes a run folder.")
  .option("--workers <n>", "actor-learner workers (default: the CPU cores, at most 4)")
  .option("--steps <n>", "global step budget (default: CartPole's preset, 400000)")
  .option("--target <r>", "stop when the mean return of the last 100 episodes reaches this", "475")
  .option("--seed <n>", "seed of everything", "1")
  .option("--out <dir>", "parent folder of run folders", "runs")
  .option("--name <name>", "run folder name (default a3c-cartpole-<timestamp>)")
  .addHelpText("after", "\nExample:\n  deno run -A examples/a3c_cartpole.ts --workers 2 --seed 3");
program.parse(["deno", "a3c_cartpole", ...Deno.args]);
const opts = program.opts();

const workers = opts.workers ?? String(Math.min(4, navigator.hardwareConcurrency));
const name = opts.name ?? defaultRunName("a3c", "cartpole");
const dir = `${opts.out}/${name}`;
let code = await main([
  "train",
  "--algo",
  "a3c",
  "--env",
  "cartpole",
  "--workers",
  workers,
  "--seed",
  opts.seed,
  "--target",
  opts.target,
  "--out",
  opts.out,
  "--name",
  name,
  ...(opts.steps ? ["--steps", opts.steps] : []),
], { listenSigint: true });
if (code === 0) code = await main(["eval", dir, "--episodes", "100"]);
if (code === 0) code = await main(["play", dir, "--gif", runPath(dir, "play.gif")]);
Deno.exit(code);
