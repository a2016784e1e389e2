/**
 * Checkpoints of an asynchronous run: the shared θ, the shared RMSProp statistics g (as the
 * optimizer state `optim.square_avg.*`, its step = T), the target network θ⁻ of the Q family
 * (as `target.*`), the resolved config and the global step counter T, in one safetensors
 * file written atomically. Loading checks everything before it writes into the shared
 * memory, so a failed resume never leaves a half-loaded run.
 *
 * @module
 */

import {
  makeOptimizerState,
  optimizerStateSpecs,
  optimizerStateTensors,
  restoreOptimizerState,
} from "../../nn/optim.ts";
import type { NamedTensor, ParamLayout } from "../../nn/params.ts";
import {
  type Checkpoint,
  encodeCheckpoint,
  loadCheckpoint,
  writeFileAtomic,
} from "../../nn/safetensors.ts";
import type { AsyncConfig } from "./config.ts";
import { asyncOptimizerConfig } from "./learner.ts";
import { Control, globalSteps, type SharedState } from "./shared.ts";

/** Metadata key of the resolved config (JSON) in a checkpoint. */
export const ASYNC_CONFIG_KEY = "async.config";
/** Metadata key of the global step counter T (decimal) in a checkpoint. */
export const ASYNC_STEPS_KEY = "async.globalSteps";
/** Name prefix of the target network's tensors in a checkpoint (`target.<name>`). */
export const TARGET_PREFIX = "target.";

/** The config fields a resumed run must share with the run that wrote the checkpoint. */
const MUST_MATCH = ["algo", "env", "net", "hidden"] as const;

/**
 * The bytes of the checkpoint {@link saveAsyncCheckpoint} writes: a snapshot of the shared θ,
 * g and (Q family) θ⁻, with the config and T in the metadata. No file IO (the browser page
 * downloads them); `where` names the destination in errors.
 */
export function asyncCheckpointBytes(
  config: AsyncConfig,
  layout: ParamLayout,
  shared: SharedState,
  where?: string,
): Uint8Array {
  const params = shared.params.slice(); // a snapshot: workers keep writing θ meanwhile
  const optimizer = asyncOptimizerConfig(config);
  const T = globalSteps(shared);
  const state = makeOptimizerState(optimizer, layout.size, { first: shared.rmsG.slice() });
  state.step = T;
  const saved = optimizerStateTensors(optimizer, state, layout);
  const extra: NamedTensor[] = [...saved.tensors];
  if (shared.target.length) {
    for (const t of layout.tensors) {
      extra.push({
        name: TARGET_PREFIX + t.name,
        shape: t.shape,
        data: shared.target.slice(t.offset, t.offset + t.length),
      });
    }
  }
  return encodeCheckpoint(
    layout,
    params,
    { ...saved.metadata, [ASYNC_CONFIG_KEY]: JSON.stringify(config), [ASYNC_STEPS_KEY]: String(T) },
    extra,
    where,
  );
}

/**
 * Saves the shared θ, g and (Q family) θ⁻ to `path`, atomically, with the config and T in
 * the metadata. Refuses (and writes nothing, so the previous checkpoint stays) when θ holds a
 * non-finite value (see `saveCheckpoint`).
 */
export async function saveAsyncCheckpoint(
  path: string,
  config: AsyncConfig,
  layout: ParamLayout,
  shared: SharedState,
): Promise<void> {
  await writeFileAtomic(path, asyncCheckpointBytes(config, layout, shared, path));
}

/** A checkpoint of an asynchronous run, decoded and checked against a config. */
export interface AsyncCheckpoint {
  /** The decoded file. */
  readonly checkpoint: Checkpoint;
  /** The global step counter T it was written at. */
  readonly globalSteps: number;
  /** The shared RMSProp statistics g, [layout.size]. */
  readonly rmsG: Float32Array;
  /** θ⁻, [layout.size] for the Q family, [0] for A3C. */
  readonly target: Float32Array;
}

/**
 * Reads the checkpoint at `path` and checks that it can continue a run of `config` with
 * parameter `layout`: present and complete (θ, g, and θ⁻ for the Q family), written by the
 * same algo, env and network, at a T below `config.totalSteps`. Throws an Error starting
 * "checkpoint:" that says what is wrong.
 */
export async function readAsyncCheckpoint(
  path: string,
  config: AsyncConfig,
  layout: ParamLayout,
): Promise<AsyncCheckpoint> {
  const optimizer = asyncOptimizerConfig(config);
  const q = config.algo !== "a3c";
  const targetSpecs = q
    ? layout.tensors.map((t) => ({ name: TARGET_PREFIX + t.name, shape: t.shape }))
    : [];
  const checkpoint = await loadCheckpoint(path, layout, {
    extraPrefixes: ["optim.", TARGET_PREFIX],
    requireExtra: [...optimizerStateSpecs(optimizer, layout), ...targetSpecs],
  });
  const fail = (what: string): never => {
    throw new Error(`checkpoint: ${path}: ${what}`);
  };
  const savedText = checkpoint.metadata[ASYNC_CONFIG_KEY];
  if (savedText === undefined) fail(`no "${ASYNC_CONFIG_KEY}" metadata: not an async run`);
  const saved = JSON.parse(savedText!) as Record<string, unknown>;
  const now: Pick<AsyncConfig, (typeof MUST_MATCH)[number]> = config;
  for (const key of MUST_MATCH) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(now[key])) {
      fail(
        `was written with ${key} = ${JSON.stringify(saved[key])}, the run asks for ` +
          JSON.stringify(now[key]),
      );
    }
  }
  const stepsText = checkpoint.metadata[ASYNC_STEPS_KEY] ?? "";
  const T = Number(stepsText);
  if (!/^\d+$/.test(stepsText) || !Number.isSafeInteger(T)) {
    fail(`metadata "${ASYNC_STEPS_KEY}" is ${JSON.stringify(stepsText)}, expected T >= 0`);
  }
  if (T >= config.totalSteps) {
    fail(`the run is already at global step ${T} of its budget totalSteps = ${config.totalSteps}`);
  }
  const state = restoreOptimizerState(optimizer, layout, checkpoint);
  const target = new Float32Array(q ? layout.size : 0);
  for (const t of checkpoint.extra) {
    if (!t.name.startsWith(TARGET_PREFIX)) continue;
    const p = layout.tensors.find((x) => x.name === t.name.slice(TARGET_PREFIX.length))!;
    target.set(t.data, p.offset);
  }
  return { checkpoint, globalSteps: T, rmsG: state.first, target };
}

/**
 * Restores a run from the checkpoint at `path` into the shared memory (θ, g, θ⁻ and T), after
 * every check of {@link readAsyncCheckpoint}; call it before the workers start. Returns T.
 */
export async function loadAsyncCheckpoint(
  path: string,
  config: AsyncConfig,
  layout: ParamLayout,
  shared: SharedState,
): Promise<number> {
  const loaded = await readAsyncCheckpoint(path, config, layout);
  shared.params.set(loaded.checkpoint.params);
  shared.rmsG.set(loaded.rmsG);
  if (shared.target.length) shared.target.set(loaded.target);
  Atomics.store(shared.control, Control.globalSteps, loaded.globalSteps);
  return loaded.globalSteps;
}
