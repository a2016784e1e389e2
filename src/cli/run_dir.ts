/**
 * Run folders: everything a training run leaves behind, in `runs/<name>/`.
 *
 * - `config.json`: the full resolved config, the package version, the backend and adapter,
 *   the command line and the start time ({@link RunInfo}).
 * - `metrics.jsonl`: one JSON object per log interval ({@link MetricsRecord}); a resumed run
 *   appends to it.
 * - `checkpoint.safetensors`: parameters, optimizer state and progress, written atomically.
 * - `curve.svg`: the learning curve, redrawn at every log interval.
 * - `eval.json`, `play.gif`: written by the `eval` and `play` commands.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { curveSvg } from "./curve_svg.ts";

/** The package version, from deno.json. */
export const PACKAGE_VERSION: string = denoJson.version;

/** The package name, from deno.json. */
export const PACKAGE_NAME: string = denoJson.name;

/** File names inside a run folder. */
export const RUN_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  checkpoint: "checkpoint.safetensors",
  curve: "curve.svg",
  eval: "eval.json",
  play: "play.gif",
} as const;

/** What `config.json` holds. */
export interface RunInfo {
  /** Algorithm registry name, e.g. "a2c". */
  readonly algo: string;
  /** Environment name. */
  readonly env: string;
  /** The full resolved config of the algorithm. */
  readonly config: Record<string, unknown>;
  /** Package name and version that wrote the run. */
  readonly package: { readonly name: string; readonly version: string };
  /** The backend that ran and why (adapter description included when on WebGPU). */
  readonly backend: { readonly name: string; readonly reason: string; readonly adapter?: string };
  /** The command line, as arguments after the program name. */
  readonly commandLine: readonly string[];
  /** ISO time the run was created. */
  readonly createdAt: string;
  /** ISO times the run was resumed, oldest first. */
  readonly resumedAt?: readonly string[];
}

/** One line of `metrics.jsonl`: the statistics of one log interval. */
export interface MetricsRecord {
  /** Environment steps so far. */
  readonly steps: number;
  /** Seconds since the run first started (continues across resumes). */
  readonly wallSeconds: number;
  /** Episodes finished so far. */
  readonly episodes: number;
  /** Mean return of the last 100 episodes (null before the first). */
  readonly returnMean100: number | null;
  /** Lowest return among the episodes finished in this interval (null if none). */
  readonly returnMin: number | null;
  /** Highest return among the episodes finished in this interval (null if none). */
  readonly returnMax: number | null;
  /** Mean length of the episodes finished in this interval, in agent steps (null if none). */
  readonly episodeLengthMean: number | null;
  /** Policy loss of the last iteration (null when the algorithm has none). */
  readonly policyLoss: number | null;
  /** Value loss of the last iteration (or the Q loss; null when none). */
  readonly valueLoss: number | null;
  /** Policy entropy of the last iteration, nats (null when none). */
  readonly entropy: number | null;
  /** Learning rate of the last iteration. */
  readonly learningRate: number | null;
  /** Gradient norm before clipping, last iteration (null when none). */
  readonly gradNorm: number | null;
  /** Environment steps per second over the interval. */
  readonly stepsPerSecond: number;
}

/** A log record as the trainers produce it (A2C's `A2cLogRecord` fits). */
export interface TrainerLogRecord {
  /** Environment steps so far. */
  readonly steps: number;
  /** Episodes finished so far. */
  readonly episodes: number;
  /** Seconds since this process started training. */
  readonly wallSeconds: number;
  /** Mean return of the last 100 episodes (NaN before the first). */
  readonly returnMean100: number;
  /** Environment steps per second since the previous record. */
  readonly stepsPerSecond: number;
  /** Returns of the episodes finished since the previous record. */
  readonly newReturns: ArrayLike<number>;
  /** Their lengths. */
  readonly newLengths: ArrayLike<number>;
  /** Policy loss, if the algorithm has one. */
  readonly policyLoss?: number;
  /** Value (or Q) loss, if any. */
  readonly valueLoss?: number;
  /** Policy entropy, if any. */
  readonly entropy?: number;
  /** Learning rate. */
  readonly learningRate?: number;
  /** Gradient norm before clipping. */
  readonly gradNorm?: number;
}

const finite = (x: number | undefined): number | null =>
  typeof x === "number" && Number.isFinite(x) ? x : null;

/**
 * The metrics line of a log record. A resumed run passes `before`, the last line its earlier
 * sessions wrote: their wall time and episode count are added, so both columns keep counting
 * across resumes (the trainer itself counts from 0 in each process).
 */
export function metricsRecord(record: TrainerLogRecord, before?: MetricsRecord): MetricsRecord {
  const returns = Array.from(record.newReturns);
  const lengths = Array.from(record.newLengths);
  return {
    steps: record.steps,
    wallSeconds: Number((record.wallSeconds + (before?.wallSeconds ?? 0)).toFixed(3)),
    episodes: record.episodes + (before?.episodes ?? 0),
    returnMean100: finite(record.returnMean100),
    returnMin: returns.length ? Math.min(...returns) : null,
    returnMax: returns.length ? Math.max(...returns) : null,
    episodeLengthMean: lengths.length ? lengths.reduce((a, b) => a + b, 0) / lengths.length : null,
    policyLoss: finite(record.policyLoss),
    valueLoss: finite(record.valueLoss),
    entropy: finite(record.entropy),
    learningRate: finite(record.learningRate),
    gradNorm: finite(record.gradNorm),
    stepsPerSecond: Math.round(record.stepsPerSecond * 10) / 10,
  };
}

/** The default run name: `<algo>-<env>-<YYYYMMDD-HHMMSS>` in UTC. */
export function defaultRunName(algo: string, env: string, date: Date = new Date()): string {
  const stamp = date.toISOString().replace(/\.\d+Z$/, "").replace(/[-:]/g, "").replace("T", "-");
  return `${algo}-${env}-${stamp}`;
}

/**
 * Refuses a run name that is not one folder name: empty, ".", "..", or holding "/", "\\" or
 * a control character would write outside `--out` (or into it). The RangeError names the
 * flag, the value and the rule.
 */
export function checkRunName(name: string): string {
  // deno-lint-ignore no-control-regex
  if (name === "" || name === "." || name === ".." || /[\/\\\x00-\x1f]/.test(name)) {
    throw new RangeError(
      `--name: got ${JSON.stringify(name)}, allowed one folder name inside --out (not empty, ` +
        `".", or "..", and no "/", "\\" or control characters)`,
    );
  }
  return name;
}

/** Joins a folder and a file name with "/". */
export function runPath(dir: string, file: string): string {
  return dir.endsWith("/") ? dir + file : `${dir}/${file}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Creates the run folder `dir` and writes its `config.json`. Refuses (RangeError) a folder
 * that already holds a run with a checkpoint, so a run is never overwritten by accident; use
 * `--resume` to continue one. A folder whose run stopped before its first checkpoint has
 * nothing to resume: it is started afresh (its `metrics.jsonl` and `curve.svg` removed), and
 * the result says so (`restarted`).
 */
export async function createRunDir(dir: string, info: RunInfo): Promise<{ restarted: boolean }> {
  let restarted = false;
  if (await exists(runPath(dir, RUN_FILES.config))) {
    if (await exists(runPath(dir, RUN_FILES.checkpoint))) {
      throw new RangeError(
        `run folder ${dir} already holds a run; continue it with --resume ${dir}, or choose ` +
          "another --name",
      );
    }
    for (const file of [RUN_FILES.metrics, RUN_FILES.curve]) {
      await Deno.remove(runPath(dir, file)).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
    }
    restarted = true;
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeRunInfo(dir, info);
  return { restarted };
}

/**
 * Refuses to resume run folder `dir` when it holds no checkpoint (the run stopped before its
 * first one), naming the way out: `train --name` with the folder's name starts it afresh.
 */
export async function checkResumable(dir: string): Promise<void> {
  if (!(await exists(runPath(dir, RUN_FILES.checkpoint)))) {
    const name = dir.replace(/\/+$/, "").split("/").pop();
    const out = dir.replace(/\/+$/, "").split("/").slice(0, -1).join("/") || ".";
    throw new RangeError(
      `run folder ${dir} holds no ${RUN_FILES.checkpoint} (the run stopped before its first ` +
        `checkpoint), so there is nothing to resume; start it afresh with train --out ${out} ` +
        `--name ${name} and the run's flags`,
    );
  }
}

/**
 * Makes `metrics.jsonl` of run folder `dir` end with a whole line before a resume appends to
 * it. A last line torn by a crash mid-write is dropped (or, when it is a whole record that
 * only lacks its newline, ended). Returns what was done, for the user, or undefined.
 */
export async function repairMetrics(dir: string): Promise<string | undefined> {
  const path = runPath(dir, RUN_FILES.metrics);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  if (text === "" || text.endsWith("\n")) return undefined;
  const cut = text.lastIndexOf("\n") + 1;
  const fragment = text.slice(cut);
  try {
    const record = JSON.parse(fragment);
    if (typeof record === "object" && record !== null && typeof record.steps === "number") {
      await Deno.writeTextFile(path, "\n", { append: true });
      return `${RUN_FILES.metrics}: its last line lacked a newline; ended it`;
    }
  } catch {
    // torn: dropped below
  }
  await Deno.truncate(path, new TextEncoder().encode(text.slice(0, cut)).length);
  const lines = text.slice(0, cut).split("\n").length;
  return `${RUN_FILES.metrics}: dropped a torn last line ${lines} (${fragment.length} ` +
    "characters, a crash mid-write)";
}

/** Writes `config.json` of run folder `dir`. */
export async function writeRunInfo(dir: string, info: RunInfo): Promise<void> {
  await Deno.writeTextFile(runPath(dir, RUN_FILES.config), JSON.stringify(info, null, 2) + "\n");
}

/**
 * Reads `config.json` of run folder `dir`. Throws a RangeError naming the folder when it is
 * missing, not JSON, or lacks the fields of a run.
 */
export async function readRunInfo(dir: string): Promise<RunInfo> {
  const path = runPath(dir, RUN_FILES.config);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new RangeError(`run folder ${dir}: no ${RUN_FILES.config} (not a run folder?)`);
    }
    throw err;
  }
  let info: RunInfo;
  try {
    info = JSON.parse(text);
  } catch (err) {
    throw new RangeError(`run folder ${dir}: ${RUN_FILES.config} is not JSON: ${err}`);
  }
  if (
    typeof info !== "object" || info === null || typeof info.algo !== "string" ||
    typeof info.env !== "string" || typeof info.config !== "object" || info.config === null
  ) {
    throw new RangeError(
      `run folder ${dir}: ${RUN_FILES.config} lacks "algo", "env" or "config"`,
    );
  }
  return info;
}

/** Appends one record to `metrics.jsonl` of run folder `dir`. */
export async function appendMetrics(dir: string, record: MetricsRecord): Promise<void> {
  await Deno.writeTextFile(runPath(dir, RUN_FILES.metrics), JSON.stringify(record) + "\n", {
    append: true,
  });
}

/**
 * Reads every record of `metrics.jsonl` in run folder `dir` (none when the file is
 * missing). A torn last line (a crash mid-write) is skipped; a bad line elsewhere throws.
 */
export async function readMetrics(dir: string): Promise<MetricsRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(runPath(dir, RUN_FILES.metrics));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const out: MetricsRecord[] = [];
  lines.forEach((line, i) => {
    try {
      out.push(JSON.parse(line));
    } catch (err) {
      if (i < lines.length - 1 || text.endsWith("\n")) {
        throw new RangeError(`run folder ${dir}: ${RUN_FILES.metrics} line ${i + 1}: ${err}`);
      }
    }
  });
  return out;
}

/** Writes `curve.svg` of run folder `dir` from `records`. */
export async function writeCurve(
  dir: string,
  records: readonly MetricsRecord[],
  title: string,
): Promise<void> {
  await Deno.writeTextFile(runPath(dir, RUN_FILES.curve), curveSvg(records, { title }));
}
