/**
 * The coordinator of an asynchronous run: allocates the shared memory, initialises θ (and
 * θ⁻), starts W Deno workers (one actor-learner each), and, while they run, reads the
 * shared counters to emit log records and periodic checkpoints. It never blocks on a
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

import { learningRateAt } from "../../nn/optim.ts";
import { initParamsBy, type ParamLayout } from "../../nn/params.ts";
import { type NetSpec, resolveLayers, sizeOf } from "../../nn/model_spec.ts";
import { envSpec } from "../../envs/registry.ts";
import { type AsyncConfig, type AsyncOverrides, isQAlgo, resolveAsyncConfig } from "./config.ts";
import { asyncOptimizerConfig, makeAsyncNet } from "./learner.ts";
import { asyncNetForEnv } from "./net.ts";
import { loadAsyncCheckpoint, saveAsyncCheckpoint } from "./checkpoint.ts";
import {
  Control,
  globalSteps,
  makeSharedState,
  readNewReturns,
  requestStop,
  type SharedState,
  type StartMessage,
  stopRequested,
  type WorkerReply,
  WorkerStat,
  workerStat,
} from "./shared.ts";

/**
 * A log record of an asynchronous run: one per `logEvery` global steps (read at the next poll)
 * and a closing one at the end (unless nothing changed since the previous record).
 */
export interface AsyncLogRecord {
  /** The method. */
  readonly algo: AsyncConfig["algo"];
  /** Global steps T (environment steps of all workers together). */
  readonly globalSteps: number;
  /** Shared updates applied so far (all workers). */
  readonly updates: number;
  /** Seconds since the workers were started. */
  readonly wallSeconds: number;
  /** Global steps per second since the previous record. */
  readonly stepsPerSecond: number;
  /** Episodes finished so far (all workers). */
  readonly episodes: number;
  /** Mean return of the last 100 finished episodes of all workers (NaN before the first). */
  readonly returnMean100: number;
  /** Returns of the episodes finished since the previous record (raw, unclipped). */
  readonly newReturns: readonly number[];
  /** Their lengths in steps. */
  readonly newLengths: readonly number[];
  /** Episodes per worker. */
  readonly workerEpisodes: readonly number[];
  /** Environment steps per worker. */
  readonly workerSteps: readonly number[];
  /** Q family: each worker's current ε; A3C: each worker's last policy entropy (nats). */
  readonly workerEntropyOrEpsilon: readonly number[];
  /** The learning rate at the current global step. */
  readonly lr: number;
  /** Mean over workers of the loss of their last update. */
  readonly loss: number;
  /** Mean over workers of the per-step policy loss of their last update (see `WorkerStat`). */
  readonly policyLoss: number;
  /** Mean over workers of the per-step value loss (Q: TD loss) of their last update. */
  readonly valueLoss: number;
  /** Mean over workers of the gradient norm (before clipping) of their last update. */
  readonly gradNorm: number;
  /** Target network refreshes so far (Q family; 0 for A3C). */
  readonly targetRefreshes: number;
}

/** A worker that failed: its id and error. */
export interface WorkerFault {
  /** Worker id. */
  readonly id: number;
  /** The error's message. */
  readonly message: string;
  /** The error's stack, when known. */
  readonly stack?: string;
}

/** Callbacks and options of {@link trainAsync}. */
export interface AsyncHooks {
  /**
   * Called (and awaited) once the shared memory is ready, before any worker starts, with the
   * global step T the run starts at (the checkpoint's T when resuming, else 0).
   */
  onStart?(startSteps: number): void | Promise<void>;
  /** Called with each log record (awaited; the workers keep running meanwhile). */
  onLog?(record: AsyncLogRecord): void | Promise<void>;
  /** Called once per failed worker, as soon as the fault is seen. */
  onFault?(fault: WorkerFault): void;
  /** Polled every `pollMs`: return true to stop the run (a checkpoint is still written). */
  shouldStop?(): boolean;
  /** Stop once the mean return of the last 100 episodes reaches this (100 episodes needed). */
  targetReturn?: number;
  /** Set the stop flag on Ctrl-C (SIGINT) while training; default true. */
  handleSigint?: boolean;
  /** Milliseconds between reads of the shared counters; default 20. */
  pollMs?: number;
  /**
   * Continue the run saved in this checkpoint (θ, g, θ⁻ and T), after checking that it fits
   * the config (see `readAsyncCheckpoint`); the budget counts from T = 0 as before.
   */
  resumeFrom?: string;
  /**
   * Testing fault handling: worker `worker` throws once its local step count reaches
   * `atStep` (`LearnerOptions.faultAtStep` of its learner). Not a config field, so neither the
   * command line nor a run folder can set it.
   */
  injectFault?: { readonly worker: number; readonly atStep: number };
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  const shared = makeSharedState(layout, W, isQAlgo(config.algo));
  initParamsBy(config.init, layout, config.seed, shared.params);
  shared.rmsG.fill(config.rmsInit);
  if (shared.target.length) shared.target.set(shared.params);
  const startSteps = hooks.resumeFrom
    ? await loadAsyncCheckpoint(hooks.resumeFrom, config, layout, shared)
    : 0;
  const optimizer = asyncOptimizerConfig(config);
  if (config.checkpointPath) await ensureParentDir(config.checkpointPath);
  await hooks.onStart?.(startSteps);

  const finished = new Array<boolean>(W).fill(false);
  const faults: WorkerFault[] = [];
  const fault = (f: WorkerFault) => {
    if (finished[f.id]) return;
    finished[f.id] = true;
    faults.push(f);
    requestStop(shared);
    hooks.onFault?.(f);
  };
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    requestStop(shared);
  };
  const handleSigint = hooks.handleSigint ?? true;
  if (handleSigint) Deno.addSignalListener("SIGINT", onSigint);

  const start = performance.now();
  const workers: Worker[] = [];
  const window: number[] = [];
  const seen = new Array<number>(W).fill(0);
  let fresh: number[] = [];
  let freshLengths: number[] = [];
  let lastTime = start;
  let lastSteps = startSteps;
  const after = (every: number) => (Math.floor(startSteps / every) + 1) * every;
  let nextLog = after(config.logEvery);
  let nextCheckpoint = config.checkpointEvery ? after(config.checkpointEvery) : Infinity;
  let last: AsyncLogRecord | undefined;
  let stopReason: AsyncResult["stopReason"] = "budget";
  let timedOut: number[] = [];
  let joined = false; // true once the loop below has waited for the workers itself

  const collectReturns = () => {
    for (let id = 0; id < W; id++) {
      const r = readNewReturns(shared, id, seen[id]);
      seen[id] = r.count;
      freshLengths.push(...r.lengths);
      for (const v of r.returns) {
        fresh.push(v);
        window.push(v);
        if (window.length > 100) window.shift();
      }
    }
  };
  const record = (T = globalSteps(shared)): AsyncLogRecord => {
    const now = performance.now();
    const perWorker = (stat: number) =>
      Array.from({ length: W }, (_, id) => workerStat(shared, id, stat));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const workerEpisodes = perWorker(WorkerStat.episodes);
    const r: AsyncLogRecord = {
      algo: config.algo,
      globalSteps: T,
      updates: Atomics.load(shared.control, Control.updates),
      wallSeconds: (now - start) / 1000,
      stepsPerSecond: (T - lastSteps) / Math.max(1e-9, (now - lastTime) / 1000),
      episodes: workerEpisodes.reduce((a, b) => a + b, 0),
      returnMean100: window.length ? mean(window) : NaN,
      newReturns: fresh,
      newLengths: freshLengths,
      workerEpisodes,
      workerSteps: perWorker(WorkerStat.steps),
      workerEntropyOrEpsilon: perWorker(WorkerStat.entropyOrEpsilon),
      lr: learningRateAt(optimizer, T),
      loss: mean(perWorker(WorkerStat.loss)),
      policyLoss: mean(perWorker(WorkerStat.policyLoss)),
      valueLoss: mean(perWorker(WorkerStat.valueLoss)),
      gradNorm: mean(perWorker(WorkerStat.gradNorm)),
      targetRefreshes: Atomics.load(shared.control, Control.targetRefreshes),
    };
    fresh = [];
    freshLengths = [];
    lastTime = now;
    lastSteps = T;
    return r;
  };

  try {
    for (let id = 0; id < W; id++) {
      const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
      worker.onmessage = (event: MessageEvent<WorkerReply>) => {
        const reply = event.data;
        if (reply.kind === "done") finished[reply.id] = true;
        else fault({ id: reply.id, message: reply.message, stack: reply.stack });
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault(); // report it here instead of ending the process
        fault({ id, message: event.message ?? String(event.error) });
      };
      worker.onmessageerror = () => fault({ id, message: "a message could not be decoded" });
      workers.push(worker);
      const faultAtStep = injected?.worker === id ? injected.atStep : undefined;
      const start: StartMessage = { kind: "start", id, config, shared, faultAtStep };
      worker.postMessage(start);
    }
    let deadline = Infinity;
    while (true) {
      // Poll every pollMs, or at once when a worker reaches a log point (it notifies logAt).
      const wait = Atomics.waitAsync(shared.control, Control.logAt, 0, hooks.pollMs ?? 20);
      if (wait.async) await wait.value;
      else await sleep(0);
      collectReturns();
      const T = globalSteps(shared);
      if (!stopRequested(shared)) {
        if (hooks.shouldStop?.()) {
          stopReason = "stopped";
          requestStop(shared);
        } else if (
          hooks.targetReturn !== undefined && window.length >= 100 &&
          window.reduce((a, b) => a + b, 0) / window.length >= hooks.targetReturn
        ) {
          stopReason = "target";
          requestStop(shared);
        } else if (T >= config.totalSteps) {
          requestStop(shared); // the workers stop by themselves; this only starts the clock
        }
      }
      if (stopRequested(shared) && deadline === Infinity) {
        deadline = performance.now() + config.joinTimeoutSeconds * 1000;
      }
      if (finished.every((f) => f)) {
        joined = true;
        break;
      }
      if (performance.now() > deadline) {
        timedOut = finished.flatMap((f, id) => f ? [] : [id]);
        joined = true;
        break;
      }
      if (T >= nextCheckpoint && config.checkpointPath) {
        nextCheckpoint = (Math.floor(T / config.checkpointEvery) + 1) * config.checkpointEvery;
        await saveAsyncCheckpoint(config.checkpointPath, config, layout, shared);
      }
      // A worker that reached a log point waits for this record (Control.logAt); a record
      // missed that way (the worker's wait timed out) is taken when T passes it.
      const due = Atomics.load(shared.control, Control.logAt);
      if (due >= nextLog || T >= nextLog + config.logEvery) {
        const at = due >= nextLog ? due : T;
        nextLog = (Math.floor(at / config.logEvery) + 1) * config.logEvery;
        last = record(at);
        Atomics.store(shared.control, Control.logAt, 0);
        Atomics.notify(shared.control, Control.logAt);
        await hooks.onLog?.(last);
      } else if (due !== 0) {
        // A log point already recorded: release its worker.
        Atomics.store(shared.control, Control.logAt, 0);
        Atomics.notify(shared.control, Control.logAt);
      }
    }
  } finally {
    // Also after an exception here (a hook or a checkpoint that threw): stop, then give the
    // workers the join timeout to report done before terminating them.
    requestStop(shared);
    Atomics.store(shared.control, Control.logAt, 0); // release a worker held at a log point
    Atomics.notify(shared.control, Control.logAt);
    const until = performance.now() + config.joinTimeoutSeconds * 1000;
    while (!joined && !finished.every((f) => f) && performance.now() < until) await sleep(10);
    for (const w of workers) w.terminate();
    if (handleSigint) Deno.removeSignalListener("SIGINT", onSigint);
  }
  if (interrupted) stopReason = "interrupted";
  collectReturns();
  if (!last || fresh.length > 0 || globalSteps(shared) !== last.globalSteps) {
    last = record(); // the closing record (skipped when nothing changed since the last one)
    await hooks.onLog?.(last);
  }
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
