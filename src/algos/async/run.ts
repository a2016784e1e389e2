/**
 * The portable core of an asynchronous run: starts W workers (one actor-learner each) on
 * shared memory that is already set up, and, while they run, reads the shared counters to
 * emit log records and periodic checkpoints, stops them (budget, target, `shouldStop`, a
 * fault) and joins them. It touches no Deno API, so the same loop runs Deno workers (from
 * `trainAsync` in `coordinator.ts`, which adds files, Ctrl-C and the memory check) and the
 * browser page's Web Workers: the caller says how a worker is made (`spawnWorker`).
 *
 * @module
 */

import { learningRateAt } from "../../nn/optim.ts";
import { initParamsBy, type ParamLayout } from "../../nn/params.ts";
import { type AsyncConfig, isQAlgo } from "./config.ts";
import { asyncOptimizerConfig } from "./learner.ts";
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

/**
 * The shared memory of a fresh run of `config` with parameter `layout`: θ initialised from
 * the seed (`config.init`), the RMSProp statistics g at `config.rmsInit`, θ⁻ = θ for the Q
 * family, every counter 0.
 */
export function initAsyncShared(config: AsyncConfig, layout: ParamLayout): SharedState {
  const shared = makeSharedState(layout, config.workers, isQAlgo(config.algo));
  initParamsBy(config.init, layout, config.seed, shared.params);
  shared.rmsG.fill(config.rmsInit);
  if (shared.target.length) shared.target.set(shared.params);
  return shared;
}

/** Callbacks and options of {@link runAsyncWorkers}. */
export interface AsyncRunHooks {
  /** Called with each log record (awaited; the workers keep running meanwhile). */
  onLog?(record: AsyncLogRecord): void | Promise<void>;
  /** Called once per failed worker, as soon as the fault is seen. */
  onFault?(fault: WorkerFault): void;
  /** Polled every `pollMs`: return true to stop the run. */
  shouldStop?(): boolean;
  /** Stop once the mean return of the last 100 episodes reaches this (100 episodes needed). */
  targetReturn?: number;
  /** Milliseconds between reads of the shared counters; default 20. */
  pollMs?: number;
  /**
   * Testing fault handling: worker `worker` throws once its local step count reaches
   * `atStep` (`LearnerOptions.faultAtStep` of its learner). Not a config field, so neither the
   * command line nor a run folder can set it.
   */
  injectFault?: { readonly worker: number; readonly atStep: number };
}

/** What {@link runAsyncWorkers} needs. */
export interface AsyncRunOptions {
  /** The resolved config. */
  readonly config: AsyncConfig;
  /** The parameter layout of the net. */
  readonly layout: ParamLayout;
  /** The shared memory (see {@link initAsyncShared}; T already set when resuming). */
  readonly shared: SharedState;
  /** The global step T the run starts at (0, or the checkpoint's). */
  readonly startSteps: number;
  /** Makes worker `id`, running `worker.ts` (a Deno worker, or a browser Web Worker). */
  spawnWorker(id: number): Worker;
  /** Callbacks. */
  readonly hooks?: AsyncRunHooks;
  /** Writes a checkpoint; called every `config.checkpointEvery` global steps when given. */
  checkpoint?(): Promise<void>;
}

/** What {@link runAsyncWorkers} returns once every worker has stopped. */
export interface AsyncRunOutcome {
  /** The last log record (the closing one). */
  readonly last: AsyncLogRecord;
  /** Why the run stopped. */
  readonly stopReason: "budget" | "target" | "stopped";
  /** Ids of workers that did not report done within the join timeout (terminated anyway). */
  readonly timedOut: readonly number[];
  /** The workers that failed, in the order seen. */
  readonly faults: readonly WorkerFault[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the workers of an asynchronous run until the global step budget or a stop (see the
 * module doc); always joins (or, after `config.joinTimeoutSeconds`, terminates) every worker
 * before it returns or throws. Faults are returned, not thrown: the caller decides what to
 * save first.
 */
export async function runAsyncWorkers(options: AsyncRunOptions): Promise<AsyncRunOutcome> {
  const { config, shared, startSteps } = options;
  const hooks = options.hooks ?? {};
  const W = config.workers;
  const optimizer = asyncOptimizerConfig(config);
  const finished = new Array<boolean>(W).fill(false);
  const faults: WorkerFault[] = [];
  const fault = (f: WorkerFault) => {
    if (finished[f.id]) return;
    finished[f.id] = true;
    faults.push(f);
    requestStop(shared);
    hooks.onFault?.(f);
  };
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
  let stopReason: AsyncRunOutcome["stopReason"] = "budget";
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
      const worker = options.spawnWorker(id);
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
      const injected = hooks.injectFault;
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
      if (T >= nextCheckpoint && options.checkpoint) {
        nextCheckpoint = (Math.floor(T / config.checkpointEvery) + 1) * config.checkpointEvery;
        await options.checkpoint();
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
  }
  collectReturns();
  if (!last || fresh.length > 0 || globalSteps(shared) !== last.globalSteps) {
    last = record(); // the closing record (skipped when nothing changed since the last one)
    await hooks.onLog?.(last);
  }
  return { last, stopReason, timedOut, faults };
}
