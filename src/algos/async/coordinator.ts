/**
 * The coordinator of an asynchronous run on Deno: allocates the shared memory, initialises θ
 * (and θ⁻), resumes from a checkpoint, starts W Deno workers (one actor-learner each) and
 * runs them with `runAsyncWorkers` (`run.ts`, the loop shared with the browser page), which
 * reads the shared counters for log records and periodic checkpoints. It never blocks on a
 * worker: the workers stop themselves at the budget or when the shared stop flag is set.
 *
 * Stopping: the budget, `hooks.shouldStop()`, a target return, Ctrl-C (SIGINT, when
 * `handleSigint`) or a worker fault set the stop flag; the coordinator then waits at most
 * `joinTimeoutSeconds` for every worker to report done, terminates them, writes the
 * checkpoint (when `checkpointPath` is set) and removes its signal listener. A fault (a
 * learner that threw, or a Worker `error` event) is then rethrown as one Error naming every
 * failed worker id and its error.
 *
 * @module
 */

import type { ParamLayout } from "../../nn/params.ts";
import { type NetSpec, resolveLayers, sizeOf } from "../../nn/model_spec.ts";
import { envSpec } from "../../envs/registry.ts";
import { type AsyncConfig, type AsyncOverrides, resolveAsyncConfig } from "./config.ts";
import { makeAsyncNet } from "./learner.ts";
import { asyncNetForEnv } from "./net.ts";
import { loadAsyncCheckpoint, saveAsyncCheckpoint } from "./checkpoint.ts";
import {
  type AsyncLogRecord,
  type AsyncRunHooks,
  type AsyncRunOutcome,
  initAsyncShared,
  runAsyncWorkers,
  type WorkerFault,
} from "./run.ts";
import { requestStop, type SharedState } from "./shared.ts";

export type { AsyncLogRecord, WorkerFault };

/** Callbacks and options of {@link trainAsync}: those of the loop (`run.ts`) and Deno's. */
export interface AsyncHooks extends AsyncRunHooks {
  /**
   * Called (and awaited) once the shared memory is ready, before any worker starts, with the
   * global step T the run starts at (the checkpoint's T when resuming, else 0).
   */
  onStart?(startSteps: number): void | Promise<void>;
  /** Set the stop flag on Ctrl-C (SIGINT) while training; default true. */
  handleSigint?: boolean;
  /**
   * Continue the run saved in this checkpoint (θ, g, θ⁻ and T), after checking that it fits
   * the config (see `readAsyncCheckpoint`); the budget counts from T = 0 as before.
   */
  resumeFrom?: string;
}

/** Result of {@link trainAsync}. */
export interface AsyncResult {
  /** The resolved config. */
  readonly config: AsyncConfig;
  /** The network. */
  readonly net: NetSpec;
  /** The parameter layout. */
  readonly layout: ParamLayout;
  /** The shared memory (final θ, g, θ⁻ and counters). */
  readonly shared: SharedState;
  /** The last log record. */
  readonly last: AsyncLogRecord;
  /** Why the run stopped. */
  readonly stopReason: "budget" | "target" | "stopped" | "interrupted";
  /** Ids of workers that did not report done within the join timeout (terminated anyway). */
  readonly timedOut: readonly number[];
  /** The checkpoint written at the end, or "" when none. */
  readonly checkpoint: string;
}

async function ensureParentDir(path: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
}

/**
 * Refuses, before any work, a run whose estimated memory exceeds three quarters of this
 * machine's (8 GiB without --allow-sys): the shared θ, g and θ⁻, and per worker θ', the
 * gradients and the activations of t_max rows forward and backward. Names the field that
 * drives it (`hidden` when the run would fit with a [64, 64] MLP, else `workers`).
 */
export function checkAsyncMemory(config: AsyncConfig, params: number, net: NetSpec): void {
  let limit = 8 * 2 ** 30;
  try {
    limit = 0.75 * Deno.systemMemoryInfo().total;
  } catch {
    // no --allow-sys
  }
  const perRow = resolveLayers(net).reduce((sum, l) => sum + sizeOf(l.outShape), 0) +
    sizeOf(net.input.shape);
  const need = (p: number, row: number) =>
    4 * p * (3 + 2 * config.workers) + config.workers * config.tMax * row * 4 * 3;
  const bytes = need(params, perRow);
  if (bytes <= limit) return;
  const gib = (b: number) => (b / 2 ** 30).toFixed(1);
  const field = net.input.shape.length === 1 && need(64 * 64 * 4, 4096) <= limit
    ? `hidden: got ${JSON.stringify(config.hidden)} (${params} parameters)`
    : `workers: got ${config.workers}`;
  throw new RangeError(
    `${field}: the run needs about ${gib(bytes)} GiB of memory, limit ${gib(limit)} GiB ` +
      "(three quarters of this machine's)",
  );
}

/**
 * Trains one of the asynchronous methods with `config.workers` Deno workers over shared
 * memory until the global step budget (or a stop: see the module doc). Validates the config
 * and builds the network before starting any worker (`net: "lstm"` with a Q method is refused there).
 * Throws, after stopping every worker and writing the checkpoint, when a worker failed.
 */
export async function trainAsync(
  overrides: AsyncOverrides,
  hooks: AsyncHooks = {},
): Promise<AsyncResult> {
  const config = resolveAsyncConfig(overrides);
  const net = makeAsyncNet(config);
  const layout = net.layout;
  const W = config.workers;
  const injected = hooks.injectFault;
  if (
    injected && !(Number.isInteger(injected.worker) && injected.worker >= 0 && injected.worker < W)
  ) {
    throw new RangeError(
      `injectFault.worker: got ${injected.worker}, allowed a worker id in [0, ${W - 1}]`,
    );
  }
  checkAsyncMemory(
    config,
    layout.size,
    asyncNetForEnv(envSpec(config.env, config.envOptions), config),
  );
  const shared = initAsyncShared(config, layout);
  const startSteps = hooks.resumeFrom
    ? await loadAsyncCheckpoint(hooks.resumeFrom, config, layout, shared)
    : 0;
  if (config.checkpointPath) await ensureParentDir(config.checkpointPath);
  await hooks.onStart?.(startSteps);

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    requestStop(shared);
  };
  const handleSigint = hooks.handleSigint ?? true;
  if (handleSigint) Deno.addSignalListener("SIGINT", onSigint);
  let outcome: AsyncRunOutcome;
  try {
    outcome = await runAsyncWorkers({
      config,
      layout,
      shared,
      startSteps,
      hooks,
      spawnWorker: () =>
        new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" }),
      checkpoint: config.checkpointPath
        ? () => saveAsyncCheckpoint(config.checkpointPath, config, layout, shared)
        : undefined,
    });
  } finally {
    if (handleSigint) Deno.removeSignalListener("SIGINT", onSigint);
  }
  const { last, timedOut, faults } = outcome;
  const stopReason = interrupted ? "interrupted" : outcome.stopReason;
  if (config.checkpointPath) {
    await saveAsyncCheckpoint(config.checkpointPath, config, layout, shared);
  }
  if (faults.length) {
    const where = config.checkpointPath
      ? `; the shared parameters were saved to ${config.checkpointPath}`
      : "";
    throw new Error(
      `async ${config.algo}: ${
        faults.map((f) => `worker ${f.id} failed: ${f.message}`).join("; ")
      } (all workers stopped at global step ${last.globalSteps}${where})`,
      { cause: faults },
    );
  }
  return {
    config,
    net: net.spec,
    layout,
    shared,
    last,
    stopReason,
    timedOut,
    checkpoint: config.checkpointPath,
  };
}
