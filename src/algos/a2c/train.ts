/**
 * The A2C training loop: builds the runner for the chosen backend, iterates until the step
 * budget (or a target mean return), and reports at intervals. Statistics come back from the
 * GPU only every `logEvery` iterations, and are awaited one interval later: nothing inside an
 * iteration waits for the GPU, and the GPU does not drain at a log point.
 *
 * @module
 */

import { type BackendChoice, selectBackend } from "../../gpu/device.ts";
import { envSpec } from "../../envs/registry.ts";
import { type A2cReport, type A2cRunner, checkA2cMemory } from "./common.ts";
import { type A2cConfig, resolveA2cConfig } from "./config.ts";
import { makeA2cCpu } from "./cpu.ts";
import { makeA2cGpu } from "./gpu.ts";

/** The training loop yields to the event loop at least this often (ms) between iterations. */
export const YIELD_MS = 200;

/** A log record of the training loop, one per `logEvery` iterations. */
export interface A2cLogRecord extends A2cReport {
  /** Seconds since training started. */
  readonly wallSeconds: number;
  /** Mean return of the last 100 finished episodes (NaN before the first). */
  readonly returnMean100: number;
  /** Environment steps per second since the previous record. */
  readonly stepsPerSecond: number;
}

/** Callbacks of {@link trainA2c}. */
export interface A2cHooks {
  /** Called with each log record; may save a checkpoint. */
  onLog?(record: A2cLogRecord, runner: A2cRunner): void | Promise<void>;
  /** Polled once per iteration: return true to stop early (e.g. on Ctrl-C). */
  shouldStop?(): boolean;
}

/** Result of a training run. */
export interface A2cResult {
  /** The resolved config. */
  readonly config: A2cConfig;
  /** Which backend ran, and why. */
  readonly backend: BackendChoice;
  /** The last log record. */
  readonly last: A2cLogRecord;
  /** Why training stopped. */
  readonly stopReason: "budget" | "target" | "stopped";
  /** The runner (parameters can still be read; call dispose when done). */
  readonly runner: A2cRunner;
}

/** Builds the A2C runner on the backend that `config.backend` selects. */
export async function makeA2cRunner(
  config: A2cConfig,
): Promise<{ runner: A2cRunner; backend: BackendChoice }> {
  checkA2cMemory(envSpec(config.env, config.envOptions), config); // before any work
  const backend = await selectBackend(config.backend);
  const runner = backend.backend === "webgpu"
    ? await makeA2cGpu(config, backend.gpu)
    : makeA2cCpu(config);
  return { runner, backend };
}

/**
 * Trains A2C until `config.totalSteps` environment steps, or until the mean return of the
 * last 100 episodes reaches `targetReturn` when given. A non-finite loss, gradient or
 * parameter stops the run with an error (the caller's last checkpoint stays intact).
 */
export async function trainA2c(
  overrides: Partial<A2cConfig>,
  hooks: A2cHooks = {},
  targetReturn?: number,
  built?: { runner: A2cRunner; backend: BackendChoice },
): Promise<A2cResult> {
  const config = resolveA2cConfig(overrides);
  const { runner, backend } = built ?? await makeA2cRunner(config);
  const stepsPerIteration = config.numEnvs * config.rolloutSteps;
  const iterations = Math.ceil(config.totalSteps / stepsPerIteration);
  const firstIteration = runner.iterations + 1; // > 1 when resuming
  const window: number[] = [];
  const start = performance.now();
  let lastTime = start;
  let lastSteps = runner.iterations * stepsPerIteration;
  let last: A2cLogRecord | undefined;
  let stopReason: A2cResult["stopReason"] = "budget";
  // A report is requested at each log point and consumed at the next one, so the GPU keeps
  // working on the next interval while the statistics of this one come back.
  type Snapshot = { readonly report: Promise<A2cReport>; readonly requestedAt: number };
  const consume = async (snapshot: Snapshot): Promise<boolean> => {
    const report = await snapshot.report;
    for (const r of report.newReturns) {
      window.push(r);
      if (window.length > 100) window.shift();
    }
    const now = snapshot.requestedAt;
    last = {
      ...report,
      wallSeconds: (now - start) / 1000,
      returnMean100: window.length ? window.reduce((a, b) => a + b, 0) / window.length : NaN,
      stepsPerSecond: (report.steps - lastSteps) / Math.max(1e-9, (now - lastTime) / 1000),
    };
    lastTime = now;
    lastSteps = report.steps;
    if (report.nonFinite) {
      throw new Error(
        `A2C: a loss, gradient or parameter became non-finite by step ${report.steps} ` +
          "(try a lower lr or maxGradNorm); the last good checkpoint is kept",
      );
    }
    await hooks.onLog?.(last, runner);
    return targetReturn !== undefined && window.length >= 100 &&
      last.returnMean100 >= targetReturn;
  };
  let pending: Snapshot | undefined;
  let lastYield = performance.now();
  // Give the event loop a turn every YIELD_MS, so Ctrl-C (a signal listener) is seen within
  // YIELD_MS plus one phase of an iteration on the CPU (a rollout step or a layer's backward)
  // or one iteration on the GPU, not only at log points.
  const turn = async (): Promise<boolean> => {
    if (performance.now() - lastYield < YIELD_MS) return false;
    await new Promise((resolve) => setTimeout(resolve, 0));
    lastYield = performance.now();
    return hooks.shouldStop?.() ?? false;
  };
  for (let i = firstIteration; i <= iterations; i++) {
    let cut = false; // stopped inside the iteration: it is dropped, the model as after i − 1
    if (runner.iterateInPhases) {
      for (const _ of runner.iterateInPhases()) if ((cut = await turn())) break;
    } else runner.iterate();
    if (!cut) await turn();
    const stop = cut || (hooks.shouldStop?.() ?? false);
    const end = stop || i === iterations;
    if (i % config.logEvery !== 0 && !end) continue;
    const next: Snapshot = { report: runner.report(), requestedAt: performance.now() };
    if (pending && await consume(pending)) {
      await next.report; // the interval after the target: let it finish, its figures unused
      stopReason = "target";
      break;
    }
    pending = next;
    if (end) {
      const reached = await consume(pending);
      stopReason = stop ? "stopped" : reached ? "target" : "budget";
      break;
    }
  }
  if (!last) {
    throw new RangeError(
      `A2C: nothing to do: the run is already at step ${runner.iterations * stepsPerIteration} ` +
        `of its budget totalSteps = ${config.totalSteps}`,
    );
  }
  return { config, backend, last, stopReason, runner };
}
