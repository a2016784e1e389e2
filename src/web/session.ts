/**
 * Training sessions for the browser page (`web/`): A2C on WebGPU or on the CPU twins, and A3C
 * on workers, driven so that they never block the page, with what the page shows (log
 * records, the current parameters, a checkpoint's bytes, the run's `config.json`). The same
 * code runs in Deno (the figures compare the tab with Deno on it).
 *
 * No Deno API is reachable from here (a test bundles the page and checks it): the A2C
 * runners, the async loop (`runAsyncWorkers`) and the checkpoint encoders are the package's
 * own; files, Ctrl-C and `Deno.*` stay in the CLI's modules.
 *
 * @module
 */

import { openGpu } from "../gpu/device.ts";
import type { RunInfo } from "../cli/run_dir.ts";
import type { A2cRunner } from "../algos/a2c/common.ts";
import { type A2cConfig, resolveA2cConfig } from "../algos/a2c/config.ts";
import { makeA2cCpu } from "../algos/a2c/cpu.ts";
import { makeA2cGpu } from "../algos/a2c/gpu.ts";
import { a2cCheckpointBytes } from "../algos/a2c/checkpoint.ts";
import {
  type A3cConfig,
  type AsyncConfig,
  pongCpuPreset,
  resolveAsyncConfig,
} from "../algos/async/config.ts";
import { makeAsyncNet } from "../algos/async/learner.ts";
import { initAsyncShared, runAsyncWorkers } from "../algos/async/run.ts";
import { asyncCheckpointBytes } from "../algos/async/checkpoint.ts";
import { requestStop } from "../algos/async/shared.ts";
import { gemmBackend } from "../nn/gemm.ts";
import type { NetSpec } from "../nn/model_spec.ts";
import type { ParamLayout } from "../nn/params.ts";
import denoJson from "../../deno.json" with { type: "json" };

/** The envs the page offers: registry name and options. */
export const WEB_ENVS: Readonly<
  Record<string, { readonly env: string; readonly envOptions: Record<string, number | boolean> }>
> = {
  catch: { env: "catch", envOptions: {} },
  cartpole: { env: "cartpole", envOptions: {} },
  pong42: { env: "pong", envOptions: { frameSize: 42 } },
};

/** One point of the live curve. */
export interface SessionLog {
  /** Environment steps so far (A3C: global steps of all workers). */
  readonly steps: number;
  /** Seconds since training started. */
  readonly wallSeconds: number;
  /** Mean return of the last 100 finished episodes (NaN before the first). */
  readonly returnMean100: number;
  /** Environment steps per second since the previous record. */
  readonly stepsPerSecond: number;
  /** Episodes finished so far. */
  readonly episodes: number;
}

/** How a session ended. */
export interface SessionResult {
  /** Why it stopped. */
  readonly stopReason: "budget" | "target" | "stopped";
  /** The last record. */
  readonly last: SessionLog | undefined;
}

/**
 * What a session's `config.json` holds: the CLI's `RunInfo` (so `rl eval` reads it), with
 * `commandLine` `["web"]`; a session is never resumed.
 */
export type WebRunInfo = Omit<RunInfo, "resumedAt">;

/** A running (or finished) training session. */
export interface TrainingSession {
  /** "a2c" or "a3c". */
  readonly algo: "a2c" | "a3c";
  /** Where the work runs: "webgpu", "cpu" (the twins, in this thread) or "workers". */
  readonly backend: "webgpu" | "cpu" | "workers";
  /** Why this backend, for the status line. */
  readonly reason: string;
  /** The WebGPU adapter's name, or "" off the GPU. */
  readonly adapter: string;
  /** The resolved config. */
  readonly config: A2cConfig | AsyncConfig;
  /** The network. */
  readonly net: NetSpec;
  /** Its parameter layout. */
  readonly layout: ParamLayout;
  /** Resolves when training ends (budget, target or stop); rejects on a failure. */
  readonly done: Promise<SessionResult>;
  /** Asks training to stop after the current iteration (A3C: the workers' current rollout). */
  stop(): void;
  /** The current parameters (a copy). */
  params(): Promise<Float32Array>;
  /** The checkpoint's bytes: the safetensors file `rl eval` and `rl play` read. */
  checkpoint(): Promise<Uint8Array>;
  /** The run's `config.json` (beside the checkpoint, a run folder for `rl eval`). */
  runInfo(): WebRunInfo;
  /** Releases GPU buffers (call after `done`). */
  dispose(): void;
}

/** Options common to both algorithms. */
export interface SessionOptions {
  /** A key of {@link WEB_ENVS}. */
  readonly env: string;
  /** Seed of everything; default 1. */
  readonly seed?: number;
  /** Budget in environment steps; default the preset's. */
  readonly totalSteps?: number;
  /** Stop once the mean return of the last 100 episodes reaches this. */
  readonly targetReturn?: number;
  /** Called with each record. */
  readonly onLog?: (record: SessionLog) => void;
}

/** Options of {@link startA2cSession}. */
export interface A2cSessionOptions extends SessionOptions {
  /** "webgpu" (the static GPU plan) or "cpu" (the twins, in this thread). */
  readonly backend: "webgpu" | "cpu";
  /** Config fields over the env's preset. */
  readonly overrides?: Partial<A2cConfig>;
  /** CPU: milliseconds of iterations between yields to the page; default 25. */
  readonly sliceMs?: number;
}

/** Options of {@link startA3cSession}. */
export interface A3cSessionOptions extends SessionOptions {
  /** Number of workers; default 2. */
  readonly workers?: number;
  /** Makes worker `id` running the package's `worker.ts` (bundled for a browser). */
  readonly spawnWorker: (id: number) => Worker;
  /** Config fields over the env's preset. */
  readonly overrides?: Partial<A3cConfig>;
}

function envChoice(name: string) {
  const choice = WEB_ENVS[name];
  if (!choice) {
    throw new RangeError(`env: got ${JSON.stringify(name)}, allowed: ${Object.keys(WEB_ENVS)}`);
  }
  return choice;
}

/**
 * What runs the CPU backend's matrix products here: the WebAssembly SIMD GEMM when one of its
 * modules compiles in this engine (`wasm-relaxed-simd` or `wasm-simd`), else the TypeScript
 * twin (`ts`).
 */
export function cpuProducts(): string {
  const backend = gemmBackend();
  return backend === "ts" ? "TypeScript twin" : `WebAssembly GEMM (${backend})`;
}

/** Gives the page a turn: a macrotask (rendering and input run between tasks). */
export function yieldToPage(): Promise<void> {
  if (typeof MessageChannel === "undefined") {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Config fields the run folder sets, or test hooks: never in config.json (`rl` refuses them). */
const RUN_FOLDER_FIELDS = ["checkpointPath", "faultWorker", "faultAtStep"];

function runInfo(
  algo: string,
  config: A2cConfig | AsyncConfig,
  backend: WebRunInfo["backend"],
  createdAt: string,
): WebRunInfo {
  return {
    algo,
    env: config.env,
    // The fields a run folder sets (and test hooks) stay out, as in the CLI's config.json.
    config: Object.fromEntries(
      Object.entries(config).filter(([k]) => !RUN_FOLDER_FIELDS.includes(k)),
    ),
    package: { name: denoJson.name, version: denoJson.version },
    backend,
    commandLine: ["web"],
    createdAt,
  };
}

/** Keeps the mean of the last 100 returns. */
function meanWindow() {
  const window: number[] = [];
  return {
    push(returns: ArrayLike<number>) {
      for (let i = 0; i < returns.length; i++) {
        window.push(returns[i]);
        if (window.length > 100) window.shift();
      }
    },
    mean: () => window.length ? window.reduce((a, b) => a + b, 0) / window.length : NaN,
    full: () => window.length >= 100,
  };
}

/**
 * Starts A2C on `backend`. On WebGPU each slice queues `logEvery` iterations (the static plan,
 * no readback inside) and then awaits the statistics of the slice before (a pipelined
 * readback), so the GPU stays busy and the page gets a turn at every await; on the CPU it runs
 * iterations for `sliceMs`, then yields. Throws when WebGPU was asked for and there is none.
 */
export async function startA2cSession(options: A2cSessionOptions): Promise<TrainingSession> {
  const { env, envOptions } = envChoice(options.env);
  const preset: Partial<A2cConfig> = env === "pong" ? { numEnvs: 16, net: "ff" } : {};
  const config = resolveA2cConfig({
    env,
    envOptions,
    backend: options.backend,
    seed: options.seed ?? 1,
    ...preset,
    ...(options.totalSteps ? { totalSteps: options.totalSteps } : {}),
    ...options.overrides,
  });
  let runner: A2cRunner;
  let adapter = "";
  let reason: string;
  if (options.backend === "webgpu") {
    const gpu = await openGpu();
    if (!gpu) throw new Error("WebGPU: no adapter (navigator.gpu is missing or gave none)");
    adapter = gpu.description;
    reason = `WebGPU, adapter ${adapter}${gpu.isFallback ? " (a software fallback)" : ""}`;
    runner = await makeA2cGpu(config, gpu);
  } else {
    reason = `the CPU backend in this thread (matrix products: ${cpuProducts()}), yielding ` +
      "between iterations";
    runner = makeA2cCpu(config);
  }
  const createdAt = new Date().toISOString();
  const sliceMs = options.sliceMs ?? 25;
  const stepsPerIteration = config.numEnvs * config.rolloutSteps;
  const iterations = Math.ceil(config.totalSteps / stepsPerIteration);
  let stopped = false;
  const loop = async (): Promise<SessionResult> => {
    const window = meanWindow();
    const start = performance.now();
    let lastTime = start;
    let lastSteps = 0;
    let episodes = 0;
    let last: SessionLog | undefined;
    let reached = false;
    type Pending = { readonly report: ReturnType<A2cRunner["report"]>; readonly at: number };
    // Timed when requested (the iterations it covers were queued by then), like trainA2c.
    const consume = async ({ report: pending, at }: Pending) => {
      const report = await pending;
      if (report.nonFinite) {
        throw new Error(
          `A2C: a loss, gradient or parameter became non-finite by step ${report.steps}`,
        );
      }
      window.push(report.newReturns);
      episodes += report.newReturns.length;
      last = {
        steps: report.steps,
        wallSeconds: (at - start) / 1000,
        returnMean100: window.mean(),
        stepsPerSecond: (report.steps - lastSteps) / Math.max(1e-9, (at - lastTime) / 1000),
        episodes,
      };
      lastTime = at;
      lastSteps = report.steps;
      options.onLog?.(last);
      if (options.targetReturn !== undefined && window.full()) {
        reached = last.returnMean100 >= options.targetReturn;
      }
    };
    let pending: Pending | undefined;
    while (!stopped && !reached && runner.iterations < iterations) {
      const t0 = performance.now();
      for (let k = 0; k < config.logEvery && runner.iterations < iterations; k++) {
        runner.iterate();
        if (options.backend === "cpu" && performance.now() - t0 >= sliceMs) break;
      }
      const next = { report: runner.report(), at: performance.now() };
      if (pending) await consume(pending);
      pending = next;
      await yieldToPage();
    }
    // After the target the queued slice's figures go unused (as in trainA2c).
    if (pending && !reached) await consume(pending);
    else if (pending) await pending.report;
    return { stopReason: reached ? "target" : stopped ? "stopped" : "budget", last };
  };
  return {
    algo: "a2c",
    backend: options.backend,
    reason,
    adapter,
    config,
    net: runner.net,
    layout: runner.layout,
    done: loop(),
    stop: () => void (stopped = true),
    params: () => runner.getParams(),
    checkpoint: () => a2cCheckpointBytes(runner, config, { source: "web" }, "the download"),
    runInfo: () =>
      runInfo("a2c", config, {
        name: options.backend,
        reason,
        ...(adapter ? { adapter } : {}),
      }, createdAt),
    dispose: () => runner.dispose(),
  };
}

/**
 * Starts A3C with `workers` workers made by `spawnWorker` on `SharedArrayBuffer`s (in a
 * browser only on a cross-origin-isolated page), through the same loop as the CLI's
 * `trainAsync` (`runAsyncWorkers`). Throws when `SharedArrayBuffer` is missing.
 */
export function startA3cSession(options: A3cSessionOptions): Promise<TrainingSession> {
  if (typeof SharedArrayBuffer === "undefined") {
    return Promise.reject(
      new Error(
        "A3C needs SharedArrayBuffer, which a browser gives only to a cross-origin-isolated " +
          "page (served with Cross-Origin-Opener-Policy: same-origin and " +
          "Cross-Origin-Embedder-Policy: require-corp)",
      ),
    );
  }
  const { env, envOptions } = envChoice(options.env);
  const workers = options.workers ?? 2;
  const preset: Partial<A3cConfig> = env === "pong" ? pongCpuPreset(workers) : {};
  const config = resolveAsyncConfig({
    algo: "a3c",
    env,
    envOptions,
    seed: options.seed ?? 1,
    ...preset,
    workers,
    ...(options.totalSteps ? { totalSteps: options.totalSteps } : {}),
    ...options.overrides,
  });
  const net = makeAsyncNet(config);
  const shared = initAsyncShared(config, net.layout);
  const createdAt = new Date().toISOString();
  const reason = `${workers} workers, Hogwild updates in SharedArrayBuffers`;
  let stopped = false;
  const done = runAsyncWorkers({
    config,
    layout: net.layout,
    shared,
    startSteps: 0,
    spawnWorker: options.spawnWorker,
    hooks: {
      shouldStop: () => stopped,
      targetReturn: options.targetReturn,
      onLog: (r) =>
        options.onLog?.({
          steps: r.globalSteps,
          wallSeconds: r.wallSeconds,
          returnMean100: r.returnMean100,
          stepsPerSecond: r.stepsPerSecond,
          episodes: r.episodes,
        }),
    },
  }).then((outcome) => {
    if (outcome.faults.length) {
      throw new Error(outcome.faults.map((f) => `worker ${f.id}: ${f.message}`).join("; "));
    }
    const l = outcome.last;
    return {
      stopReason: outcome.stopReason,
      last: {
        steps: l.globalSteps,
        wallSeconds: l.wallSeconds,
        returnMean100: l.returnMean100,
        stepsPerSecond: l.stepsPerSecond,
        episodes: l.episodes,
      },
    };
  });
  return Promise.resolve({
    algo: "a3c",
    backend: "workers",
    reason,
    adapter: "",
    config,
    net: net.spec,
    layout: net.layout,
    done,
    stop: () => {
      stopped = true;
      requestStop(shared);
    },
    params: () => Promise.resolve(shared.params.slice()),
    checkpoint: () =>
      Promise.resolve(asyncCheckpointBytes(config, net.layout, shared, "the download")),
    runInfo: () => runInfo("a3c", config, { name: "cpu", reason }, createdAt),
    dispose: () => {},
  });
}
