/**
 * Pong learned from pixels: `deno run -A examples/a2c_pong.ts`.
 *
 * With a hardware GPU: A2C on the GPU, the A3C paper's feed-forward net on 84×84×4 frames, N
 * 256 envs in lockstep. Without one: the CPU preset ({@link pongCpuPreset}), A3C with one Deno
 * worker per core on antialiased 42×42×4 frames at frame skip 2, the paper's CPU method (one thread per
 * worker is how the cores are used; A2C's single batch would use one). Either way a live progress
 * line (steps/s, mean return of the last 100 episodes, ETA to the budget) runs until the mean
 * return reaches +18 or the budget runs out (the CPU preset reached +18 in about 20–28 min on
 * 2 cores; what it reached is in the README, "Pong"), then the run folder gets `config.json`,
 * `metrics.jsonl`, `curve.svg`, `checkpoint.safetensors` and `pong.gif` (the trained agent, on
 * the right in green). It is the `rl train` and `rl play` commands with these settings; see
 * `deno task rl train --help` for every field.
 *
 * @module
 */

import { Command, Option } from "commander";
import { resolveA2cConfig } from "../src/algos/a2c/config.ts";
import { pongCpuPreset, resolveAsyncConfig } from "../src/algos/async/config.ts";
import { selectBackend } from "../src/gpu/device.ts";
import { configFlags } from "../src/cli/flags.ts";
import { main } from "../src/cli/main.ts";
import { defaultRunName, runPath } from "../src/cli/run_dir.ts";

/** Steps to the goal on a GPU (the preset's budget). */
const GPU_BUDGET = 20_000_000;
/** The CPU preset: A3C, one worker per core. */
const CPU_PRESET = pongCpuPreset(navigator.hardwareConcurrency);

const program = new Command()
  .name("a2c_pong")
  .description(
    "Learns Pong from pixels, stopping at --target or the budget: A2C on a GPU, or the CPU " +
      "preset (A3C, a Deno worker a core, antialiased 42×42 frames at frame skip 2, lr and " +
      "entropy bonus annealed over 12M steps; +18 in about 20-28 min on 2 cores) without one; " +
      "writes a run folder with a GIF of the agent.",
  )
  .option("--envs <n>", "GPU: environments stepped in lockstep, N (default: Pong's preset, 256)")
  .option("--rollout <n>", "GPU: rollout length T (default 5)")
  .option("--workers <n>", `CPU: A3C workers (default: the cores, ${CPU_PRESET.workers})`)
  .option("--seed <n>", "seed of everything", "1")
  .option(
    "--steps <n>",
    `step budget (default ${GPU_BUDGET} on a GPU, ${CPU_PRESET.totalSteps} on the CPU)`,
  )
  .option("--target <r>", "stop when the mean return of the last 100 episodes reaches this", "18")
  .option("--backend <name>", "auto, webgpu or cpu", "auto")
  .addOption(
    new Option("--net <name>", "GPU: ff (the A3C paper's conv net) or lstm (42×42 conv + LSTM)")
      .choices(["ff", "lstm"]).default("ff"),
  )
  .option("--out <dir>", "parent folder of run folders", "runs")
  .option("--name <name>", "run folder name (default a2c-pong- or a3c-pong-<timestamp>)")
  .addHelpText(
    "after",
    "\nExamples:\n  deno run -A examples/a2c_pong.ts\n" +
      "  deno run -A examples/a2c_pong.ts --envs 1024 --seed 2 --out runs\n" +
      "  deno run -A examples/a2c_pong.ts --backend cpu --seed 2\n" +
      "  deno run -A examples/a2c_pong.ts --backend cpu --workers 1 --steps 50000",
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
  if (opts.workers !== undefined) {
    resolveAsyncConfig({ ...CPU_PRESET, workers: Number(opts.workers) });
  }
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
const name = opts.name ?? defaultRunName(onCpu ? "a3c" : "a2c", "pong");
const dir = `${opts.out}/${name}`;
const common = [
  "--env",
  "pong",
  "--seed",
  opts.seed,
  "--target",
  opts.target,
  "--out",
  opts.out,
  "--name",
  name,
];
let args: string[];
if (onCpu) {
  const p = CPU_PRESET;
  const workers = opts.workers ?? String(p.workers);
  console.log(
    `No GPU: the CPU preset, A3C with ${workers} Deno workers (one a core) on antialiased ` +
      `42×42×4 frames at frame skip 2. ` +
      `It stops at a mean return of ${opts.target} over 100 games or at ` +
      `${opts.steps ?? p.totalSteps} steps; the ETA is to that budget.`,
  );
  // Every field of the preset as its flag (env, seed, target, out and name are in `common`).
  const { env: _env, ...fields } = p;
  args = [
    "train",
    ...common,
    ...configFlags({ ...fields, workers: Number(workers), totalSteps: opts.steps ?? p.totalSteps }),
  ];
} else {
  const lstm = opts.net === "lstm";
  args = [
    "train",
    ...common,
    "--backend",
    choice.backend,
    "--steps",
    String(opts.steps ?? GPU_BUDGET),
    "--net",
    opts.net,
    ...(lstm ? ["--env-option", "frameSize=42", "--env-option", "frameStack=1"] : []),
    ...(opts.envs ? ["--num-envs", opts.envs] : []),
    ...(opts.rollout ? ["--rollout-steps", opts.rollout] : []),
  ];
}
let code = await main(args, { listenSigint: true });
if (code === 0) {
  code = await main(["play", dir, "--gif", runPath(dir, "pong.gif"), "--frames", "600"]);
}
Deno.exit(code);
