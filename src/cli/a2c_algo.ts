/**
 * The command line's entry for A2C ({@link makeA2cEntry}): its config fields, resolve,
 * resume check, training with a checkpoint at every log record, and the trained policy.
 *
 * @module
 */

import {
  A2C_CONFIG_KEY,
  A2C_ITERATIONS_KEY,
  loadA2cCheckpoint,
  saveA2cCheckpoint,
} from "../algos/a2c/checkpoint.ts";
import { netForEnv } from "../algos/a2c/common.ts";
import { type A2cConfig, resolveA2cConfig } from "../algos/a2c/config.ts";
import { A2C_FIELDS } from "../algos/config_fields.ts";
import { a2cOptimizerConfig } from "../algos/a2c/optimizer.ts";
import { makeA2cRunner, trainA2c } from "../algos/a2c/train.ts";
import { envSpec } from "../envs/registry.ts";
import { optimizerStateSpecs } from "../nn/optim.ts";
import { makeLayout } from "../nn/params.ts";
import { paramSpecs } from "../nn/model_spec.ts";
import { loadCheckpoint } from "../nn/safetensors.ts";
import type { AlgoEntry } from "./algo_entry.ts";
import { makeCpuPolicy } from "./policy.ts";

function a2cLayout(config: A2cConfig) {
  const net = netForEnv(envSpec(config.env, config.envOptions), config);
  return { net, layout: makeLayout(paramSpecs(net)) };
}

/**
 * The A2C entry; `makeRunner` builds the runner (tests wrap it), `name` is its registry name.
 */
export function makeA2cEntry(
  makeRunner: typeof makeA2cRunner = makeA2cRunner,
  name = "a2c",
): AlgoEntry<A2cConfig> {
  return {
    name,
    summary: "synchronous advantage actor-critic (N envs in lockstep, on the GPU or the CPU)",
    fields: A2C_FIELDS,
    resolve(overrides) {
      const config = resolveA2cConfig(overrides as Partial<A2cConfig>);
      a2cLayout(config); // the env name, its options and the net, checked before any GPU work
      return config;
    },
    async checkResume(config, path) {
      const { layout } = a2cLayout(config);
      const checkpoint = await loadCheckpoint(path, layout, {
        requireExtra: optimizerStateSpecs(a2cOptimizerConfig(config), layout),
      });
      const done = Number(checkpoint.metadata[A2C_ITERATIONS_KEY]) * config.numEnvs *
        config.rolloutSteps;
      if (done >= config.totalSteps) {
        throw new RangeError(
          `resume: the run is already at step ${done} of its budget totalSteps = ` +
            `${config.totalSteps}; give a larger --steps`,
        );
      }
      const saved = checkpoint.metadata[A2C_CONFIG_KEY];
      if (saved !== undefined) {
        const was = JSON.parse(saved) as Partial<A2cConfig>;
        for (const key of ["env", "numEnvs", "rolloutSteps", "optimizer"] as const) {
          if (JSON.stringify(was[key]) !== JSON.stringify(config[key])) {
            throw new Error(
              `checkpoint: ${path}: was written with ${key} = ${JSON.stringify(was[key])}, ` +
                `the run's config.json says ${JSON.stringify(config[key])}`,
            );
          }
        }
      }
    },
    async train(config, session) {
      const built = await makeRunner(config);
      try {
        if (session.resumeFrom) await loadA2cCheckpoint(session.resumeFrom, built.runner);
        await session.onStart(
          built.backend,
          built.runner.iterations * config.numEnvs * config.rolloutSteps,
        );
        const result = await trainA2c(
          config,
          {
            async onLog(record, runner) {
              // trainA2c throws before calling onLog when anything became non-finite, so only
              // good parameters reach the checkpoint.
              await saveA2cCheckpoint(session.checkpointPath, runner, config);
              await session.onLog(record);
            },
            shouldStop: () => session.shouldStop(),
          },
          session.targetReturn,
          built,
        );
        return { stopReason: result.stopReason, last: result.last, backend: result.backend };
      } finally {
        built.runner.dispose();
      }
    },
    async loadPolicy(config, path) {
      const { net, layout } = a2cLayout(config);
      const checkpoint = await loadCheckpoint(path, layout);
      return makeCpuPolicy(net, layout, checkpoint.params);
    },
  };
}

/** A2C: synchronous advantage actor-critic (GPU or CPU backend). */
export const A2C_ENTRY: AlgoEntry<A2cConfig> = makeA2cEntry();
