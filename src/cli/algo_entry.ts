/**
 * What an algorithm of the `train` command provides ({@link AlgoEntry}, typed by its own
 * config), and the form the registry keeps it in ({@link Algo}): `resolve` returns a
 * {@link ResolvedRun} whose methods close over the typed config, so the command line never
 * casts a config to an algorithm's type. Leaf module: the entries (`a2c_algo.ts`,
 * `async_algos.ts`) and the registry (`algos.ts`) import it, never the other way round.
 *
 * @module
 */

import type { AnyFieldTable } from "../algos/fields.ts";
import type { BackendChoice } from "../gpu/device.ts";
import type { CpuPolicy } from "./policy.ts";
import type { TrainerLogRecord } from "./run_dir.ts";

export type { AnyFieldTable, Field, FieldKind } from "../algos/fields.ts";

/** The config fields every algorithm has (the command line reads them). */
export interface RunConfig {
  /** Environment name. */
  readonly env: string;
  /** Environment options. */
  readonly envOptions: Record<string, number | boolean>;
  /** Seed. */
  readonly seed: number;
  /** Step budget. */
  readonly totalSteps: number;
}

/** What the command line gives a trainer. */
export interface TrainSession {
  /** Where to write checkpoints (atomically; only finite parameters). */
  readonly checkpointPath: string;
  /** A checkpoint to resume from (already checked by {@link ResolvedRun.checkResume}). */
  readonly resumeFrom?: string;
  /** Stop when the mean return of the last 100 episodes reaches this. */
  readonly targetReturn?: number;
  /** Polled once per iteration; true stops the run (after a last record and checkpoint). */
  shouldStop(): boolean;
  /** Called once the backend is chosen, before training. */
  onStart(backend: BackendChoice, startSteps: number): void | Promise<void>;
  /** Called with each log record, after its checkpoint was written. */
  onLog(record: TrainerLogRecord): void | Promise<void>;
}

/** How a training run ended. */
export interface TrainOutcome {
  /** Why it stopped. */
  readonly stopReason: "budget" | "target" | "stopped";
  /** The last log record. */
  readonly last: TrainerLogRecord;
  /** The backend that ran. */
  readonly backend: BackendChoice;
}

/** One trainable algorithm, over its config type `C`. */
export interface AlgoEntry<C extends RunConfig> {
  /** Registry name, e.g. "a2c". */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /**
   * Every config field (kind, default, bounds, doc): `train` gets one flag per field, except
   * fields with `flag: false`, which the command line refuses (code sets them).
   */
  readonly fields: AnyFieldTable;
  /** Defaults, preset and `overrides` merged and validated; throws a RangeError naming fields. */
  resolve(overrides: Record<string, unknown>): C;
  /**
   * Checks, before any GPU work, that the checkpoint at `path` can resume a run of `config`
   * (present, complete, same network and optimizer); throws an Error saying what is wrong.
   */
  checkResume(config: C, path: string): Promise<void>;
  /** Trains, writing a checkpoint at every log record. */
  train(config: C, session: TrainSession): Promise<TrainOutcome>;
  /** The trained policy of a checkpoint, on the CPU. */
  loadPolicy(config: C, path: string): Promise<CpuPolicy>;
}

/** A resolved config of some algorithm with what can be done with it. */
export interface ResolvedRun {
  /** The fields every algorithm has. */
  readonly config: RunConfig;
  /** The whole config as the run folder's config.json keeps it (code-only fields left out). */
  readonly saved: Readonly<Record<string, unknown>>;
  /** See {@link AlgoEntry.checkResume}. */
  checkResume(path: string): Promise<void>;
  /** See {@link AlgoEntry.train}. */
  train(session: TrainSession): Promise<TrainOutcome>;
  /** See {@link AlgoEntry.loadPolicy}. */
  loadPolicy(path: string): Promise<CpuPolicy>;
}

/** An algorithm as the registry keeps it: its config type hidden behind `resolve`. */
export interface Algo {
  /** Registry name. */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Every config field. */
  readonly fields: AnyFieldTable;
  /**
   * Resolves `overrides` (flags, a config file, a run's config.json); refuses fields that only
   * code sets (`flag: false`) with a RangeError naming them.
   */
  resolve(overrides: Record<string, unknown>): ResolvedRun;
}

/**
 * `entry` as the registry keeps it.
 *
 * @example
 * ```ts
 * import { A2C_ENTRY, toAlgo } from "@webgpu-rl/core/cli";
 * const run = toAlgo(A2C_ENTRY).resolve({ env: "catch", lr: 1e-3 });
 * console.log(run.saved.lr, run.config.totalSteps);
 * ```
 */
export function toAlgo<C extends RunConfig>(entry: AlgoEntry<C>): Algo {
  const codeOnly = Object.keys(entry.fields).filter((key) => entry.fields[key].flag === false);
  return {
    name: entry.name,
    summary: entry.summary,
    fields: entry.fields,
    resolve(overrides) {
      for (const key of codeOnly) {
        if (key in overrides) {
          throw new RangeError(
            `${key}: not settable from the command line (the run folder sets it)`,
          );
        }
      }
      const config = entry.resolve(overrides);
      const saved = Object.fromEntries(
        Object.entries(config).filter(([key]) => !codeOnly.includes(key)),
      );
      return {
        config,
        saved,
        checkResume: (path) => entry.checkResume(config, path),
        train: (session) => entry.train(config, session),
        loadPolicy: (path) => entry.loadPolicy(config, path),
      };
    },
  };
}
