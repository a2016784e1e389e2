/**
 * A2C checkpoints: the parameters, the optimizer state and the progress counters of a run in
 * one safetensors file, written atomically, and read back with every check done before the
 * live runner is touched (a failed resume never leaves a half-loaded model).
 *
 * @module
 */

import {
  optimizerStateSpecs,
  optimizerStateTensors,
  restoreOptimizerState,
} from "../../nn/optim.ts";
import { encodeCheckpoint, loadCheckpoint, writeFileAtomic } from "../../nn/safetensors.ts";
import type { A2cRunner } from "./common.ts";
import type { A2cConfig } from "./config.ts";

/** Metadata key of the iteration counter (decimal). */
export const A2C_ITERATIONS_KEY = "a2c.iterations";
/** Metadata key of the resolved config (JSON). */
export const A2C_CONFIG_KEY = "a2c.config";

/**
 * The bytes of `runner`'s checkpoint (safetensors: parameters, optimizer state, iteration
 * counter and `config`), as {@link saveA2cCheckpoint} writes them; `metadata` adds string
 * entries, `where` names the destination in errors. No file IO (the browser page downloads
 * them).
 */
export async function a2cCheckpointBytes(
  runner: A2cRunner,
  config: A2cConfig,
  metadata: Record<string, string> = {},
  where?: string,
): Promise<Uint8Array> {
  const params = await runner.getParams();
  const state = await runner.getOptimizerState();
  const saved = optimizerStateTensors(runner.optimizer, state, runner.layout);
  return encodeCheckpoint(
    runner.layout,
    params,
    {
      ...metadata,
      ...saved.metadata,
      [A2C_ITERATIONS_KEY]: String(runner.iterations),
      [A2C_CONFIG_KEY]: JSON.stringify(config),
    },
    saved.tensors,
    where,
  );
}

/**
 * Saves `runner`'s parameters, optimizer state, iteration counter and `config` to `path`
 * (safetensors, atomic: a temporary file, then a rename). `metadata` adds string entries.
 */
export async function saveA2cCheckpoint(
  path: string,
  runner: A2cRunner,
  config: A2cConfig,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(path, await a2cCheckpointBytes(runner, config, metadata, path));
}

/** What a loaded A2C checkpoint says about its run. */
export interface A2cCheckpointInfo {
  /** Iterations the saved run had completed. */
  readonly iterations: number;
  /** The file's metadata. */
  readonly metadata: Record<string, string>;
}

/**
 * Loads the checkpoint at `path` into `runner` (parameters, optimizer state, iteration
 * counter). Throws, before changing the runner, when the file is missing, truncated or
 * corrupt, when a tensor's name or shape does not match the runner's network, or when the
 * optimizer kind differs.
 */
export async function loadA2cCheckpoint(
  path: string,
  runner: A2cRunner,
): Promise<A2cCheckpointInfo> {
  const checkpoint = await loadCheckpoint(path, runner.layout, {
    requireExtra: optimizerStateSpecs(runner.optimizer, runner.layout),
  });
  const state = restoreOptimizerState(runner.optimizer, runner.layout, checkpoint);
  const text = checkpoint.metadata[A2C_ITERATIONS_KEY];
  const iterations = Number(text);
  if (text === undefined || !/^\d+$/.test(text)) {
    throw new Error(
      `checkpoint: ${path}: metadata "${A2C_ITERATIONS_KEY}" is ${JSON.stringify(text)}, ` +
        "expected an integer >= 0 (not an A2C checkpoint?)",
    );
  }
  // Every check has passed: only now change the runner.
  await runner.setParams(checkpoint.params);
  await runner.setOptimizerState(state);
  await runner.setIterations(iterations);
  return { iterations, metadata: checkpoint.metadata };
}
