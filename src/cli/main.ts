/**
 * The `rl` command line: `train`, `eval`, `play` and `bench`.
 *
 * ```sh
 * deno run -A src/cli/main.ts train --env catch --steps 60000
 * deno run -A src/cli/main.ts eval runs/a2c-catch-20250101-120000
 * deno run -A src/cli/main.ts play runs/a2c-catch-20250101-120000 --gif catch.gif
 * deno run -A src/cli/main.ts bench
 * ```
 *
 * Exit codes: 0 ok, 1 a user error (one line, no stack trace; `RL_DEBUG=1` adds the stack),
 * 130 stopped by Ctrl-C (SIGINT) after writing the checkpoint.
 *
 * @module
 */

import { BENCH_GROUPS, benchTable, runBench } from "../bench/run.ts";
import { Command, CommanderError } from "commander";
import { ENV_NAMES, envSpec, makeCpuEnv } from "../envs/registry.ts";
import { encodeGif, scaleFrame } from "../envs/render.ts";
import type { Frame } from "../envs/types.ts";
import type { BackendChoice } from "../gpu/device.ts";
import { type Algo, algoNames, getAlgo, type ResolvedRun } from "./algos.ts";
import { barChartSvg, gpuCpuRatios } from "./bar_chart_svg.ts";
import { curvesSvg } from "./curve_svg.ts";
import {
  addConfigFlags,
  type AddOption,
  argParser,
  type ConfigFlag,
  configOverrides,
  parseKeyValue,
  parseNumberStrict,
} from "./flags.ts";
import { type CpuPolicy, randomPolicy, runEpisodes, summarize } from "./policy.ts";
import { formatDuration, makeProgress } from "./progress.ts";
import {
  appendMetrics,
  checkResumable,
  checkRunName,
  createRunDir,
  defaultRunName,
  type MetricsRecord,
  metricsRecord,
  PACKAGE_NAME,
  PACKAGE_VERSION,
  readMetrics,
  readRunInfo,
  repairMetrics,
  RUN_FILES,
  type RunInfo,
  runPath,
  writeCurve,
  writeRunInfo,
} from "./run_dir.ts";

/** Where the program's text goes and how it is interrupted (injectable for tests). */
export interface CliIo {
  /** Standard output (text as is; lines end with "\n"). */
  readonly out: (text: string) => void;
  /** Standard error. */
  readonly err: (text: string) => void;
  /** Draw a live progress line (a terminal). Default `Deno.stdout.isTerminal()`. */
  readonly isTerminal: boolean;
  /** Aborting it acts like Ctrl-C: training stops at the next iteration, checkpoints, exits 130. */
  readonly interrupt?: AbortSignal;
  /** Also stop on SIGINT (the real program; off in tests). */
  readonly listenSigint?: boolean;
}

/** Exit code of a run stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** Config fields `train` sets with hand-written flags (not generated from the field tables). */
const HAND_WRITTEN = new Set([
  "algo",
  "env",
  "envOptions",
  "seed",
  "totalSteps",
  "backend",
  "logEvery",
]);

/** Flags that may change when resuming a run (everything else comes from its config.json). */
const RESUME_FLAGS = new Set(["steps", "backend", "logEvery", "target", "resume"]);

function writer(stream: { writeSync(p: Uint8Array): number }): (text: string) => void {
  const encoder = new TextEncoder();
  return (text) => {
    const bytes = encoder.encode(text);
    let done = 0;
    while (done < bytes.length) done += stream.writeSync(bytes.subarray(done));
  };
}

function defaultIo(): CliIo {
  return {
    out: writer(Deno.stdout),
    err: writer(Deno.stderr),
    isTerminal: Deno.stdout.isTerminal(),
  };
}

const num = (flag: string) => argParser((t) => parseNumberStrict(t, flag));

/** A RangeError unless `value` is an integer in [lo, hi] (a flag's value check). */
function checkInt(flag: string, value: number, lo: number, hi: number): number {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new RangeError(`${flag}: got ${value}, allowed an integer in [${lo}, ${hi}]`);
  }
  return value;
}

async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new RangeError(`--config: cannot read ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RangeError(`--config: ${path} is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RangeError(`--config: ${path} must hold a JSON object of config fields`);
  }
  // A run folder's config.json (it names its package) stands for its `config` object.
  const file = value as Record<string, unknown>;
  const inner = file.config;
  if ("package" in file && typeof inner === "object" && inner !== null && !Array.isArray(inner)) {
    return inner as Record<string, unknown>;
  }
  return file;
}

function backendInfo(choice: BackendChoice): RunInfo["backend"] {
  return {
    name: choice.backend,
    reason: choice.reason,
    ...(choice.gpu ? { adapter: choice.gpu.description } : {}),
  };
}

/** Options of the `train` command as commander hands them over. */
interface TrainOpts extends Record<string, unknown> {
  algo: string;
  env?: string;
  envOption?: Record<string, number | boolean>;
  backend?: string;
  seed?: number;
  steps?: number;
  target?: number;
  name?: string;
  out: string;
  config?: string;
  resume?: string;
  logEvery?: number;
}

async function train(
  opts: TrainOpts,
  command: Command,
  flags: ReadonlyMap<string, ConfigFlag>,
  io: CliIo,
  args: readonly string[],
): Promise<number> {
  const given = (key: string) => command.getOptionValueSource(key) === "cli";
  const direct: Record<string, unknown> = {
    ...(opts.env !== undefined ? { env: opts.env } : {}),
    ...(opts.envOption !== undefined ? { envOptions: opts.envOption } : {}),
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.steps !== undefined ? { totalSteps: opts.steps } : {}),
    ...(opts.logEvery !== undefined ? { logEvery: opts.logEvery } : {}),
  };
  let entry: Algo;
  let run: ResolvedRun;
  let dir: string;
  let info: RunInfo;
  let records: MetricsRecord[] = [];
  let resumeFrom: string | undefined;
  if (opts.resume !== undefined) {
    dir = opts.resume;
    const refused = command.options
      .map((o) => o.attributeName())
      .filter((key) => given(key) && !RESUME_FLAGS.has(key));
    if (refused.length) {
      throw new RangeError(
        `--resume continues ${dir} with its saved config.json; only --steps, --backend, ` +
          `--log-every and --target may change (got ${
            refused.map((k) => command.options.find((o) => o.attributeName() === k)!.long)
              .join(", ")
          })`,
      );
    }
    info = await readRunInfo(dir);
    entry = getAlgo(info.algo);
    run = entry.resolve({ ...info.config, ...direct });
    resumeFrom = runPath(dir, RUN_FILES.checkpoint);
    await checkResumable(dir);
    await run.checkResume(resumeFrom); // before any GPU work
    const repaired = await repairMetrics(dir);
    if (repaired) io.out(`${repaired}\n`);
    records = await readMetrics(dir);
    const lrNote = annealedLrNote(info.config, run.saved, records.at(-1)?.steps ?? 0);
    if (lrNote) io.out(`${lrNote}\n`);
    info = {
      ...info,
      config: run.saved,
      resumedAt: [...(info.resumedAt ?? []), new Date().toISOString()],
    };
  } else {
    const { algo: fileAlgo, ...fromFile } = opts.config !== undefined
      ? await readJsonObject(opts.config)
      : {};
    // A run's saved `config` object names its algorithm: it is the default.
    if (fileAlgo !== undefined && !algoNames().includes(fileAlgo as string)) {
      throw new RangeError(
        `--config: algo: got ${JSON.stringify(fileAlgo)}, allowed ${algoNames().join(", ")}`,
      );
    }
    if (fileAlgo !== undefined && given("algo") && fileAlgo !== opts.algo) {
      throw new RangeError(
        `--config: ${opts.config} has algo ${fileAlgo} but --algo is ${opts.algo}; give one`,
      );
    }
    entry = getAlgo((fileAlgo as string | undefined) ?? opts.algo);
    run = entry.resolve({ ...fromFile, ...configOverrides(opts, flags), ...direct });
    dir = runPath(
      opts.out,
      opts.name !== undefined
        ? checkRunName(opts.name)
        : defaultRunName(entry.name, run.config.env),
    );
    info = {
      algo: entry.name,
      env: run.config.env,
      config: run.saved,
      package: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      backend: { name: "pending", reason: "not chosen yet" },
      commandLine: [...args],
      createdAt: new Date().toISOString(),
    };
    const { restarted } = await createRunDir(dir, info).catch((err) => {
      if (err instanceof RangeError) throw err;
      throw fileError(opts.name === undefined ? "--out" : "--out/--name", dir, err);
    });
    if (restarted) {
      io.out(
        `run folder ${dir} held no checkpoint (its run stopped before one): starting afresh\n`,
      );
    }
  }
  const before = records.at(-1); // the last line of the run's earlier sessions, if resumed
  const label = `${entry.name} ${run.config.env}`;
  const progress = makeProgress({
    budget: run.config.totalSteps,
    label,
    live: io.isTerminal,
    write: io.out,
  });

  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) Deno.exit(EXIT_INTERRUPTED); // a second Ctrl-C: leave now
    interrupted = true;
  };
  io.interrupt?.addEventListener("abort", onInterrupt);
  if (io.interrupt?.aborted) interrupted = true;
  if (io.listenSigint) Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    const outcome = await run.train({
      checkpointPath: runPath(dir, RUN_FILES.checkpoint),
      resumeFrom,
      targetReturn: opts.target,
      shouldStop: () => interrupted,
      async onStart(backend, startSteps) {
        info = { ...info, backend: backendInfo(backend) };
        await writeRunInfo(dir, info);
        io.out(
          `${label} on ${backend.backend} (${backend.reason})\nrun folder: ${dir}` +
            (startSteps > 0 ? ` (resuming at step ${startSteps})` : "") + "\n",
        );
      },
      async onLog(record) {
        const line = metricsRecord(record, before);
        records.push(line);
        await appendMetrics(dir, line);
        await writeCurve(dir, records, `${label} (${dir})`);
        progress.update({
          steps: record.steps,
          episodes: line.episodes,
          returnMean100: record.returnMean100,
          stepsPerSecond: record.stepsPerSecond,
        });
      },
    });
    const last = outcome.last;
    const ret = Number.isFinite(last.returnMean100) ? last.returnMean100.toFixed(3) : "n/a";
    const why = { budget: "budget reached", target: "target reached", stopped: "interrupted" }[
      outcome.stopReason
    ];
    progress.finish(
      `${why}: ${last.steps} steps in ${formatDuration(last.wallSeconds)}, mean return (last ` +
        `100) ${ret}; checkpoint ${runPath(dir, RUN_FILES.checkpoint)}`,
    );
    if (outcome.stopReason === "stopped") {
      io.out(`resume with: train --resume ${dir}\n`);
      return EXIT_INTERRUPTED;
    }
    return 0;
  } catch (err) {
    progress.finish();
    if (resumeFrom === undefined && records.length === 0) {
      // Nothing was trained: take back the new run folder so the name can be used again.
      await Deno.remove(runPath(dir, RUN_FILES.config)).catch(() => {});
      await Deno.remove(dir).catch(() => {}); // only when empty
    }
    throw err;
  } finally {
    io.interrupt?.removeEventListener("abort", onInterrupt);
    if (io.listenSigint) Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}

async function loadRun(dir: string): Promise<{ entry: Algo; run: ResolvedRun }> {
  const info = await readRunInfo(dir);
  const entry = getAlgo(info.algo);
  return { entry, run: entry.resolve(info.config) };
}

/** `rl curve`: several runs' learning curves (e.g. seeds) in one SVG. */
async function curves(
  dirs: string[],
  opts: { out: string; title?: string; labels?: string },
  io: CliIo,
): Promise<number> {
  const labels = opts.labels?.split(",");
  if (labels && labels.length !== dirs.length) {
    throw new RangeError(
      `--labels: got ${labels.length} labels for ${dirs.length} runs; give one a run`,
    );
  }
  const series = [];
  let title = opts.title;
  for (const [k, dir] of dirs.entries()) {
    const { entry, run: { config } } = await loadRun(dir);
    title ??= `${entry.name} ${config.env}`;
    series.push({ label: labels?.[k] ?? `seed ${config.seed}`, points: await readMetrics(dir) });
  }
  try {
    await Deno.writeTextFile(opts.out, curvesSvg(series, { title }));
  } catch (err) {
    throw new RangeError(`--out: cannot write ${opts.out}: ${(err as Error).message}`);
  }
  io.out(`wrote ${opts.out} (${dirs.length} runs)\n`);
  return 0;
}

async function evaluate(
  dir: string,
  opts: { episodes: number; greedy?: boolean; seed?: number; maxSteps: number },
  io: CliIo,
): Promise<number> {
  const episodes = checkInt("--episodes", opts.episodes, 1, 1 << 20);
  const maxSteps = checkInt("--max-steps", opts.maxSteps, 1, 1e9);
  const { entry, run } = await loadRun(dir);
  const config = run.config;
  const seed = checkInt("--seed", opts.seed ?? (config.seed + 1) % 2 ** 32, 0, 0xffffffff);
  const policy = await run.loadPolicy(runPath(dir, RUN_FILES.checkpoint));
  const env = makeCpuEnv(config.env, episodes, config.envOptions as never);
  const greedy = (opts.greedy ?? false) || (policy.greedyOnly ?? false);
  const t0 = performance.now();
  const result = runEpisodes(env, policy, { greedy, seed, maxSteps });
  const stats = summarize(result.returns);
  const lengths = summarize(result.lengths);
  const report = {
    algo: entry.name,
    env: config.env,
    episodes,
    mode: greedy ? "greedy" : "sampled",
    seed,
    returnMean: stats.mean,
    returnStd: stats.std,
    returnMin: stats.min,
    returnMax: stats.max,
    episodeLengthMean: lengths.mean,
    unfinished: result.unfinished,
    wallSeconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
    date: new Date().toISOString(),
    returns: result.returns,
  };
  await Deno.writeTextFile(runPath(dir, RUN_FILES.eval), JSON.stringify(report, null, 2) + "\n");
  const g = (x: number) => Number(x.toPrecision(4));
  io.out(
    `${entry.name} ${config.env}, ${episodes} episodes (${report.mode}): return ` +
      `${g(stats.mean)} ± ${g(stats.std)}, min ${g(stats.min)}, max ${g(stats.max)}; ` +
      `mean length ${g(lengths.mean)}` +
      (result.unfinished ? `; ${result.unfinished} cut off at --max-steps ${maxSteps}` : "") +
      `\nwrote ${runPath(dir, RUN_FILES.eval)}\n`,
  );
  return 0;
}

async function play(
  dir: string | undefined,
  opts: {
    env?: string;
    policy?: string;
    gif?: string;
    frames: number;
    scale: number;
    fps: number;
    greedy?: boolean;
    seed?: number;
  },
  io: CliIo,
): Promise<number> {
  const frames = checkInt("--frames", opts.frames, 1, 100_000);
  const scale = checkInt("--scale", opts.scale, 1, 16);
  checkInt("--fps", opts.fps, 1, 100);
  let env: string;
  let envOptions: Record<string, number | boolean> = {};
  let policy: CpuPolicy;
  let seed = opts.seed ?? 1;
  let gif = opts.gif;
  if (dir !== undefined) {
    if (opts.policy === "random" || opts.env !== undefined) {
      throw new RangeError("play: give a run folder, or --env <name> --policy random, not both");
    }
    const { run } = await loadRun(dir);
    env = run.config.env;
    envOptions = run.config.envOptions;
    seed = opts.seed ?? (run.config.seed + 2) % 2 ** 32;
    policy = await run.loadPolicy(runPath(dir, RUN_FILES.checkpoint));
    gif ??= runPath(dir, RUN_FILES.play);
  } else {
    if (opts.env === undefined || opts.policy !== "random") {
      throw new RangeError(
        "play: give a run folder (play runs/<name>), or --env <name> --policy random",
      );
    }
    env = opts.env;
    envSpec(env); // validates the name
    policy = randomPolicy();
    gif ??= `${env}-random.gif`;
  }
  checkInt("--seed", seed, 0, 0xffffffff);
  const vec = makeCpuEnv(env, 1, envOptions as never);
  vec.reset(seed);
  const actions = policy.makeActions(vec.spec, 1);
  const first = scaleFrame(vec.render(0), scale);
  // The frames are kept until the GIF is encoded: refuse what would not fit, before the work.
  const needed = frames * first.rgb.length;
  if (needed > PLAY_MEMORY_LIMIT) {
    throw new RangeError(
      `--frames ${frames} × --scale ${scale}: the frames need ${
        Math.ceil(needed / 2 ** 20)
      } MiB, ` +
        `limit ${PLAY_MEMORY_LIMIT / 2 ** 20} MiB (fewer --frames or a smaller --scale)`,
    );
  }
  const pictures: Frame[] = [first];
  let ret = 0;
  let ended = false;
  for (let t = 0; pictures.length < frames && !ended; t++) {
    policy.act(vec.spec, vec.obs, 1, actions, { greedy: opts.greedy ?? false, seed, counter: t });
    vec.step(actions);
    ret += vec.reward[0];
    ended = vec.terminated[0] === 1 || vec.truncated[0] === 1;
    // After the last step the env has auto-reset: its picture would be the next episode's.
    if (!ended) pictures.push(scaleFrame(vec.render(0), scale));
  }
  const bytes = encodeGif(pictures, { fps: opts.fps });
  await Deno.writeFile(gif, bytes).catch((err) => {
    throw fileError("--gif", gif!, err);
  });
  io.out(
    `${env}: ${pictures.length} frames, return ${Number(ret.toPrecision(4))}` +
      `${ended ? "" : " (episode not finished: --frames limit)"}; wrote ${gif}\n`,
  );
  return 0;
}

async function bench(
  groups: string[],
  opts: { cpuOnly?: boolean; out?: string; svg?: string },
  io: CliIo,
): Promise<number> {
  const report = await runBench({
    groups: groups.length ? groups : undefined,
    cpuOnly: opts.cpuOnly,
    out: opts.out,
    onRows: (group, rows) => io.out(`${group}: ${rows.length} rows\n`),
  });
  io.out(`\n${report.device}, ${report.date}\n\n${benchTable(report.rows)}\n`);
  const svg = opts.svg ?? report.file.replace(/\.json$/, "") + ".svg";
  const bars = gpuCpuRatios(report.rows);
  await Deno.writeTextFile(svg, barChartSvg(bars, { title: `GPU / CPU on ${report.device}` }));
  io.out(`\nwrote ${report.file} and ${svg}${bars.length ? "" : " (no GPU rows to compare)"}\n`);
  for (const f of report.failures) io.err(`bench: group ${f.group} failed: ${f.message}\n`);
  return report.failures.length ? 1 : 0;
}

/**
 * Builds the commander program; each action stores its exit code in `result.code`.
 * `args` is the command line (for config.json).
 */
function buildProgram(
  io: CliIo,
  result: { code: number },
  args: readonly string[],
): Command {
  const program = new Command("rl")
    .description(
      `${PACKAGE_NAME} ${PACKAGE_VERSION}: train, evaluate, watch and benchmark RL agents ` +
        "on the GPU (WebGPU) or the CPU",
    )
    .version(PACKAGE_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(add --help for the options)");

  const trainCmd = program.command("train")
    .description("train an agent; writes runs/<name>/ (config, metrics, checkpoint, curve)")
    .option("--algo <name>", `algorithm: ${algoNames().join(", ")}`, "a2c")
    .option("--env <name>", `environment: ${ENV_NAMES.join(", ")} (default catch)`)
    .option(
      "--env-option <key=value>",
      "an environment option, repeatable (e.g. --env-option rows=12, " +
        "--env-option antialias=true)",
      (text: string, prev: Record<string, number | boolean> | undefined) =>
        argParser((t) => parseKeyValue(t, { ...(prev ?? {}) }, "--env-option"))(
          text,
        ),
    )
    .option("--backend <name>", "auto, webgpu or cpu (default auto)")
    .option("--seed <n>", "seed of everything (default 1)", num("--seed"))
    .option(
      "--steps <n>",
      "budget in environment steps (default: the env's preset)",
      num("--steps"),
    )
    .option(
      "--target <return>",
      "stop when the mean return of the last 100 reaches this",
      num("--target"),
    )
    .option(
      "--log-every <n>",
      "log and checkpoint interval: A2C iterations, async global steps",
      num("--log-every"),
    )
    .option("--name <name>", "run folder name (default <algo>-<env>-<timestamp>)")
    .option("--out <dir>", "parent folder of run folders", "runs")
    .option(
      "--config <file.json>",
      "a JSON object of config fields, or a run's config.json (its `config` is read; flags " +
        "override it; its `algo`, if any, is the algorithm)",
    )
    .option("--resume <run dir>", "continue a run from its checkpoint up to its budget")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  rl train --env catch --steps 60000 --name catch1\n" +
        "  rl train --env cartpole --lr 3e-3 --hidden 64,64 --no-anneal-lr --backend cpu\n" +
        "  rl train --resume runs/catch1 --steps 120000\n" +
        "\nPresets per env fill the fields a flag does not set; Ctrl-C stops after writing the " +
        "checkpoint (exit 130).",
    );
  const addOption: AddOption = (f, d, p) => {
    if (p) trainCmd.option(f, d, p);
    else trainCmd.option(f, d);
  };
  const sources = algoNames().map((name) => ({ name, fields: getAlgo(name).fields }));
  const flags = addConfigFlags(addOption, sources, HAND_WRITTEN);
  trainCmd.action(async (opts: TrainOpts, command: Command) => {
    result.code = await train(opts, command, flags, io, args);
  });

  program.command("eval")
    .description("evaluate a trained run's policy on the CPU; writes <run>/eval.json")
    .argument("<run>", "run folder")
    .option("--episodes <k>", "episodes (one per env copy)", num("--episodes"), 100)
    .option("--greedy", "take the most likely action instead of sampling")
    .option("--seed <n>", "seed of the episodes (default: the run's seed + 1)", num("--seed"))
    .option(
      "--max-steps <n>",
      "cut episodes off after this many steps",
      num("--max-steps"),
      100_000,
    )
    .addHelpText("after", "\nExample:\n  rl eval runs/catch1 --episodes 200 --greedy")
    .action(async (dir: string, opts) => {
      result.code = await evaluate(dir, opts, io);
    });

  program.command("curve")
    .description("draw several runs' learning curves (e.g. seeds) in one SVG")
    .argument("<runs...>", "run folders")
    .requiredOption("--out <file.svg>", "the picture to write")
    .option("--title <text>", "title (default: the first run's algorithm and env)")
    .option("--labels <list>", "comma-separated legend labels, one a run (default: seeds)")
    .addHelpText(
      "after",
      "\nExample:\n  rl curve runs/pong-s1 runs/pong-s2 runs/pong-s3 --out docs/pong_curve.svg",
    )
    .action(async (dirs: string[], opts) => {
      result.code = await curves(dirs, opts, io);
    });

  program.command("play")
    .description("write a GIF of one env copy playing a run's policy (or a random one)")
    .argument("[run]", "run folder")
    .option("--env <name>", "environment, with --policy random")
    .option("--policy <kind>", "random (with --env) instead of a run's policy")
    .option("--gif <path>", "output file (default <run>/play.gif or <env>-random.gif)")
    .option("--frames <n>", "most frames", num("--frames"), 500)
    .option("--scale <n>", "integer upscaling of each frame", num("--scale"), 2)
    .option("--fps <n>", "frames per second", num("--fps"), 30)
    .option("--greedy", "take the most likely action instead of sampling")
    .option("--seed <n>", "seed of the episode", num("--seed"))
    .addHelpText(
      "after",
      "\nExamples:\n  rl play runs/catch1\n  rl play --env cartpole --policy random --gif cp.gif",
    )
    .action(async (dir: string | undefined, opts) => {
      result.code = await play(dir, opts, io);
    });

  program.command("bench")
    .description("GPU vs CPU benchmark (source checkout): table, JSON and a GPU/CPU bar chart")
    .argument(
      "[groups...]",
      `groups to run (default all but score): ${BENCH_GROUPS.join(", ")}; score trains ` +
        "Catch, CartPole and Pong to a stated return (wall time and steps to it: up to an hour)",
    )
    .option("--cpu-only", "skip the GPU")
    .option("--out <file.json>", "JSON report path (default bench/results/<adapter>.json)")
    .option("--svg <file.svg>", "bar chart path (default next to the JSON)")
    .addHelpText(
      "after",
      "\nExamples:\n  rl bench envs a2c --svg ratios.svg\n  rl bench score --cpu-only",
    )
    .action(async (groups: string[], opts) => {
      result.code = await bench(groups, opts, io);
    });
  return program;
}

/**
 * The note printed when a resume changes the budget of a run whose learning rate is annealed
 * linearly to 0 over it: the schedule is recomputed over the new budget, so the rate jumps at
 * the resume point (README, "Reliability").
 */
function annealedLrNote(
  saved: Readonly<Record<string, unknown>>,
  now: Readonly<Record<string, unknown>>,
  steps: number,
): string | undefined {
  const [lr, was, is] = [Number(now.lr), Number(saved.totalSteps), Number(now.totalSteps)];
  if (now.annealLr !== true || was === is || !(lr > 0) || !(was > 0) || !(is > 0)) return undefined;
  const at = (total: number) => Number((lr * Math.max(0, 1 - steps / total)).toPrecision(3));
  return `learning rate: annealed to 0 over the new budget totalSteps = ${is} (was ${was}), ` +
    `so at step ${steps} it goes from ${at(was)} to ${at(is)}`;
}

/** Memory `play` may use for the frames of its GIF (bytes). */
const PLAY_MEMORY_LIMIT = 1024 * 2 ** 20;

/** A failed file write or folder creation as a user error naming the flag and the path. */
function fileError(flag: string, path: string, err: unknown): RangeError {
  const why = err instanceof Deno.errors.NotFound
    ? "its folder does not exist"
    : err instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : err instanceof Error
    ? err.message
    : String(err);
  return new RangeError(`${flag}: cannot write ${path}: ${why}`, { cause: err });
}

/** True for errors that are the user's to fix: printed as one line, no stack. */
function isUserError(err: unknown): boolean {
  return err instanceof RangeError || (err instanceof Error &&
    (err.name === "GpuUnavailableError" || err.message.startsWith("checkpoint:") ||
      err.message.startsWith("A2C:")));
}

/**
 * Runs the command line `args` (without the program name) and returns the exit code: 0 ok,
 * 1 an error (printed as `error: <message>`), 130 interrupted. Never calls `Deno.exit`.
 */
export async function main(args: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = { ...defaultIo(), ...io };
  const result = { code: 0 };
  const program = buildProgram(full, result, args);
  try {
    await program.parseAsync([...args], { from: "user" });
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander printed it
    const message = err instanceof Error ? err.message : String(err);
    full.err(`error: ${message}\n`);
    let debug = false;
    try {
      debug = Deno.env.get("RL_DEBUG") === "1";
    } catch { /* no env permission */ }
    if ((debug || !isUserError(err)) && err instanceof Error && err.stack) {
      full.err(`${err.stack}\n`);
    }
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, { listenSigint: true }));
}
