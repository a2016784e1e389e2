/**
 * The memory the actor-learner workers share, all in `SharedArrayBuffer`s so that one
 * `postMessage` hands it to every worker without copying:
 *
 * - `params` [size]: the shared parameters θ (the flat layout of `params.ts`), updated by
 *   every worker without locks (Hogwild);
 * - `rmsG` [size]: the shared RMSProp statistics g (the paper's "shared RMSProp");
 * - `grads` [W rows of size, rounded up to 4 floats]: each worker's gradient, written only by
 *   its worker (`workerGrads`);
 * - `target` [size] (Q family; empty for A3C): the target network θ⁻;
 * - `control` (Int32, read and written with Atomics): the global step counter T, the stop
 *   flag, the count of shared updates, the count of target refreshes;
 * - `workerStats` [W × WORKER_STAT_WORDS] (Float64): per-worker progress, written only by
 *   its worker (see {@link WorkerStat});
 * - `returnRing` [W × RETURN_RING] (Float32) and `returnCount` [W] (Int32, Atomics): each
 *   worker's most recent episode returns, written before the count is advanced.
 *
 * `params`, `rmsG` and `grads` live in one shared `WebAssembly.Memory` (`memory`) where the
 * engine has one, so that the optimizer's WebAssembly step updates θ and g in place, reading
 * the gradient from the same memory (see `nn/optim_wasm.ts`: copying them in and out would
 * cost as much as the update and lose other workers' updates meanwhile).
 *
 * @module
 */

import type { ParamLayout } from "../../nn/params.ts";
import type { AsyncConfig } from "./config.ts";

/** Indices into `control` (an Int32Array read and written with Atomics). */
export const Control = {
  /** The global step counter T: environment steps of all workers together. */
  globalSteps: 0,
  /** Set to 1 to ask every worker to stop at its next rollout boundary. */
  stop: 1,
  /** Shared parameter updates applied so far (all workers together). */
  updates: 2,
  /** Target network refreshes θ⁻ ← θ so far. */
  targetRefreshes: 3,
  /**
   * The global step of a log record that is due (a multiple of `logEvery`), 0 when none: the
   * worker whose step reached it waits (Atomics.wait, with a timeout) until the coordinator
   * has taken the record and cleared it, so records land on the interval.
   */
  logAt: 4,
} as const;

/** Words of `control`. */
export const CONTROL_WORDS = 5;

/** How long a worker waits at a log point for the coordinator before going on (ms). */
export const LOG_WAIT_MS = 2000;

/** Indices into each worker's row of `workerStats`. */
export const WorkerStat = {
  /** Environment steps this worker took. */
  steps: 0,
  /** Episodes this worker finished. */
  episodes: 1,
  /** Shared updates this worker applied. */
  updates: 2,
  /** Loss of its last update (A3C: the actor-critic total; Q: ½Σδ²). */
  loss: 3,
  /** Gradient norm of its last update, before clipping. */
  gradNorm: 4,
  /** Learning rate of its last update. */
  lr: 5,
  /** A3C: policy entropy of the last update (mean, nats); Q: the worker's current ε. */
  entropyOrEpsilon: 6,
  /** 0 while running, 1 once done, 2 after an error. */
  status: 7,
  /** A3C: mean policy loss −A·log π(a) of its last update; Q: mean Q(s, a) of the taken actions. */
  policyLoss: 8,
  /** A3C: mean ½(R − V)² of its last update; Q: mean ½δ² (the TD loss). */
  valueLoss: 9,
} as const;

/** Floats of one worker's row of `workerStats`. */
export const WORKER_STAT_WORDS = 10;

/** Episode returns each worker keeps in its ring. */
export const RETURN_RING = 512;

/** The shared memory of an asynchronous run (every array over a `SharedArrayBuffer`). */
export interface SharedState {
  /** Number of workers W the stats are sized for. */
  readonly workers: number;
  /** Shared parameters θ, [size]. */
  readonly params: Float32Array;
  /** Shared RMSProp statistics g, [size]. */
  readonly rmsG: Float32Array;
  /** Each worker's gradient: W rows of size rounded up to 4 floats ({@link workerGrads}). */
  readonly grads: Float32Array;
  /** The memory `params`, `rmsG` and `grads` are views of, or null (plain SharedArrayBuffers). */
  readonly memory: WebAssembly.Memory | null;
  /** Target parameters θ⁻, [size] for the Q family, [0] for A3C. */
  readonly target: Float32Array;
  /** Counters and flags, [CONTROL_WORDS], indexed by {@link Control}; use Atomics. */
  readonly control: Int32Array;
  /** Per-worker statistics, [W, WORKER_STAT_WORDS], indexed by {@link WorkerStat}. */
  readonly workerStats: Float64Array;
  /** Per-worker ring of recent episode returns, [W, RETURN_RING]. */
  readonly returnRing: Float32Array;
  /** Per-worker ring of the lengths (steps) of the same episodes, [W, RETURN_RING]. */
  readonly lengthRing: Int32Array;
  /** Episodes written to each worker's ring so far, [W]; use Atomics. */
  readonly returnCount: Int32Array;
}

/**
 * Allocates the shared memory for `workers` workers and a parameter `layout` (zeroed; the
 * coordinator initialises `params`). `withTarget` allocates the target network θ⁻.
 */
export function makeSharedState(
  layout: ParamLayout,
  workers: number,
  withTarget: boolean,
): SharedState {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`shared state: workers must be a positive integer, got ${workers}`);
  }
  const f32 = (n: number) => new Float32Array(new SharedArrayBuffer(n * 4));
  const { memory, params, rmsG, grads } = optimizerArrays(layout.size, workers);
  return {
    workers,
    params,
    rmsG,
    grads,
    memory,
    target: f32(withTarget ? layout.size : 0),
    control: new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4)),
    workerStats: new Float64Array(new SharedArrayBuffer(workers * WORKER_STAT_WORDS * 8)),
    returnRing: f32(workers * RETURN_RING),
    lengthRing: new Int32Array(new SharedArrayBuffer(workers * RETURN_RING * 4)),
    returnCount: new Int32Array(new SharedArrayBuffer(workers * 4)),
  };
}

/**
 * θ, g and the W gradients in one shared WebAssembly memory of exactly their size (16-byte
 * aligned; it never grows, so the views stay valid), or in SharedArrayBuffers where the engine
 * has no shared WebAssembly memory or the arrays pass i32 addressing.
 */
function optimizerArrays(size: number, workers: number) {
  const stride = Math.ceil(size / 4) * 4; // floats: each array starts 16-byte aligned
  const bytes = 4 * stride * (2 + workers);
  let memory: WebAssembly.Memory | null = null;
  if (bytes <= 2 ** 31 && typeof WebAssembly === "object") {
    const pages = Math.max(1, Math.ceil(bytes / 65536));
    try {
      memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    } catch { /* no threads in this engine: SharedArrayBuffers below */ }
  }
  const f32 = (at: number, n: number) =>
    memory
      ? new Float32Array(memory.buffer, 4 * at, n)
      : new Float32Array(new SharedArrayBuffer(n * 4));
  return {
    memory,
    params: f32(0, size),
    rmsG: f32(stride, size),
    grads: f32(2 * stride, workers * stride),
  };
}

/** Worker `id`'s gradient buffer: row `id` of `shared.grads`, [size]. */
export function workerGrads(shared: SharedState, id: number): Float32Array {
  const stride = shared.grads.length / shared.workers;
  return shared.grads.subarray(id * stride, id * stride + shared.params.length);
}

/** Checks that `shared` fits `layout` and worker `id` (e.g. after a `postMessage`). */
export function checkSharedState(shared: SharedState, layout: ParamLayout, id: number): void {
  const bad = (what: string) => {
    throw new RangeError(`shared state: ${what}`);
  };
  if (shared.params.length !== layout.size || shared.rmsG.length !== layout.size) {
    bad(
      `params/rmsG have ${shared.params.length}/${shared.rmsG.length} floats, the layout ` +
        `needs ${layout.size}`,
    );
  }
  if (shared.target.length !== 0 && shared.target.length !== layout.size) {
    bad(`target has ${shared.target.length} floats, expected 0 or ${layout.size}`);
  }
  if (!Number.isInteger(id) || id < 0 || id >= shared.workers) {
    bad(`worker id ${id} is outside [0, ${shared.workers})`);
  }
  if (!(shared.params.buffer instanceof SharedArrayBuffer)) bad("params are not shared memory");
}

/** T, the global step counter (an atomic read). */
export function globalSteps(shared: SharedState): number {
  return Atomics.load(shared.control, Control.globalSteps);
}

/** Asks every worker to stop at its next rollout boundary. */
export function requestStop(shared: SharedState): void {
  Atomics.store(shared.control, Control.stop, 1);
}

/** True once a stop was requested. */
export function stopRequested(shared: SharedState): boolean {
  return Atomics.load(shared.control, Control.stop) !== 0;
}

/** Worker `id`'s statistic `stat` (an index of {@link WorkerStat}). */
export function workerStat(shared: SharedState, id: number, stat: number): number {
  return shared.workerStats[id * WORKER_STAT_WORDS + stat];
}

/**
 * Appends an episode's return and length (steps) to worker `id`'s rings, then advances its
 * count (Atomics, so a reader that sees the count sees both values).
 */
export function pushReturn(shared: SharedState, id: number, value: number, length: number): void {
  const n = Atomics.load(shared.returnCount, id);
  shared.returnRing[id * RETURN_RING + (n % RETURN_RING)] = value;
  shared.lengthRing[id * RETURN_RING + (n % RETURN_RING)] = length;
  Atomics.store(shared.returnCount, id, n + 1);
}

/**
 * The returns and lengths of the episodes worker `id` finished since `seen` episodes (at
 * most the ring's last RETURN_RING), oldest first, and the new count.
 */
export function readNewReturns(
  shared: SharedState,
  id: number,
  seen: number,
): { returns: number[]; lengths: number[]; count: number } {
  const count = Atomics.load(shared.returnCount, id);
  const from = Math.max(seen, count - RETURN_RING);
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let n = from; n < count; n++) {
    returns.push(shared.returnRing[id * RETURN_RING + (n % RETURN_RING)]);
    lengths.push(shared.lengthRing[id * RETURN_RING + (n % RETURN_RING)]);
  }
  return { returns, lengths, count };
}

/** The message that starts worker `id` (the arrays share memory with the coordinator's). */
export interface StartMessage {
  /** Message kind. */
  readonly kind: "start";
  /** Worker id in [0, W). */
  readonly id: number;
  /** The resolved config (plain data). */
  readonly config: AsyncConfig;
  /** The shared memory. */
  readonly shared: SharedState;
  /** Testing: throw at this local step (`AsyncHooks.injectFault`). */
  readonly faultAtStep?: number;
}

/** What a worker reports back: done (with its progress) or an error. */
export type WorkerReply =
  | {
    /** The worker finished its loop. */
    readonly kind: "done";
    /** Worker id. */
    readonly id: number;
    /** Environment steps it took. */
    readonly steps: number;
    /** Episodes it finished. */
    readonly episodes: number;
    /** Shared updates it applied. */
    readonly updates: number;
  }
  | {
    /** The worker's learner threw. */
    readonly kind: "error";
    /** Worker id. */
    readonly id: number;
    /** The error's message. */
    readonly message: string;
    /** The error's stack, when there is one. */
    readonly stack?: string;
  };
