/**
 * A2C learns Pong from pixels: `deno run -A examples/a2c_pong.ts`.
 *
 * Picks the best backend (a hardware GPU, else the CPU twins), trains the A3C paper's
 * feed-forward net on 84×84×4 frames with a live progress line until the mean return of the
 * last 100 episodes reaches +18 or the step budget runs out, then writes into the run folder
 * `config.json`, `metrics.jsonl`, `curve.svg`, `checkpoint.safetensors` and `pong.gif` (the
 * trained agent playing, on the right in green). It is the `rl train` and `rl play` commands
 * with Pong's settings; see `deno task rl train --help` for every field.
 *
 * @module
 */

import { Command, Option } from "commander";
import { resolveA2cConfig } from "../src/algos/a2c/config.ts";
import { selectBackend } from "../src/gpu/device.ts";
import { main } from "../src/cli/main.ts";
import { defaultRunName, readMetrics, runPath } from "../src/cli/run_dir.ts";

/** Steps to the goal on a GPU (the preset's budget). */
const GPU_BUDGET = 20_000_000;
/** Budget on the CPU twins: enough to see it run, far from enough to learn Pong. */
const CPU_BUDGET = 20_000;

const program = new Command()
  .name("a2c_pong")
  .description("A2C learns Pong from pixels; writes a run folder with a GIF of the agent.")
  .option("--envs <n>", "environments stepped in lockstep, N (default: Pong's preset, 256)")
  .option("--rollout <n>", "rollout length T (default 5)")
  .option("--seed <n>", "seed of everything", "1")
  .option("--steps <n>", `step budget (default ${GPU_BUDGET} on a GPU, ${CPU_BUDGET} on the CPU)`)
  .option("--target <r>", "stop when the mean return of the last 100 episodes reaches this", "18")
  .option("--backend <name>", "auto, webgpu or cpu", "auto")
  .addOption(
    new Option("--net <name>", "ff (the A3C paper's conv net) or lstm (42×42 conv + LSTM)")
      .choices(["ff", "lstm"]).default("ff"),
  )
  .option("--out <dir>", "parent folder of run folders", "runs")
  .option("--name <name>", "run folder name (default a2c-pong-<timestamp>)")
  .addHelpText(
    "after",
    "\nExamples:\n  deno run -A examples/a2c_pong.ts\n" +
      "  deno run -A examples/a2c_pong.ts --envs 1024 --seed 2 --out runs\n" +
      "  deno run -A examples/a2c_pong.ts --backend cpu --steps 5000",
  );
program.parse(["deno", "a2c_pong", ...Deno.args]);
const opts = program.opts();
// Refuse bad values before the banner and any work, naming the field (as `rl train` does).
try {
  resolveA2cConfig({
    env: "pong",
    net: opts.net,
    seed: Number(opts.seed),
    ...(opts.steps !== undefined ? { totalSteps: Number(opts.steps) } : {}),
    ...(opts.envs !== undefined ? { numEnvs: Number(opts.envs) } : {}),
    ...(opts.rollout !== undefined ? { rolloutSteps: Number(opts.rollout) } : {}),
  });
  if (!Number.isFinite(Number(opts.target))) {
    throw new RangeError(`--target: got ${JSON.stringify(opts.target)}, allowed: a number`);
  }
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  Deno.exit(1);
}

const choice = await selectBackend(opts.backend);
const onCpu = choice.backend === "cpu";
console.log(`backend: ${choice.backend} (${choice.reason})`);
if (onCpu) {
  console.log(
    "On the CPU twins Pong trains at about a hundred env-steps per second; learning it takes " +
      `millions of steps, so this run stops at its budget (${opts.steps ?? CPU_BUDGET} steps). ` +
      "Run it on a machine with a GPU to learn Pong.",
  );
}
const name = opts.name ?? defaultRunName("a2c", "pong");
const dir = `${opts.out}/${name}`;
const lstm = opts.net === "lstm";
const args = [
  "train",
  "--env",
  "pong",
  "--backend",
  choice.backend,
  "--seed",
  opts.seed,
  "--steps",
  String(opts.steps ?? (onCpu ? CPU_BUDGET : GPU_BUDGET)),
  "--target",
  opts.target,
  "--out",
  opts.out,
  "--name",
  name,
  "--net",
  opts.net,
  ...(lstm ? ["--env-option", "frameSize=42", "--env-option", "frameStack=1"] : []),
  ...(opts.envs ? ["--num-envs", opts.envs] : []),
  ...(opts.rollout ? ["--rollout-steps", opts.rollout] : []),
  ...(onCpu ? ["--log-every", "5"] : []),
];
let code = await main(args);
if (code === 0) {
  const records = await readMetrics(dir);
  const last = records[records.length - 1];
  if (onCpu && last) {
    const hours = GPU_BUDGET / last.stepsPerSecond / 3600;
    console.log(
      `CPU speed: ${Math.round(last.stepsPerSecond)} env-steps/s; the ${GPU_BUDGET} steps ` +
        `Pong usually needs would take about ${hours.toFixed(0)} hours here.`,
    );
  }
  code = await main(["play", dir, "--gif", runPath(dir, "pong.gif"), "--frames", "600"]);
}
Deno.exit(code);
