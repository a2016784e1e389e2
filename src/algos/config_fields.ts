/**
 * The config fields of every algorithm, each written once: kind, default, bounds and doc
 * ({@link Field}). A field two algorithms share (γ, the learning rate, RMSProp's settings,
 * the net, the seed, ...) is one entry of the pool below that both tables take; where only
 * its default differs, the table says the other default. These tables drive validation
 * (`resolveA2cConfig`, `resolveAsyncConfig`), the `train` flags and their help, and
 * `scripts/gen_config.ts`, which writes the config interfaces (`config_types.ts`) and
 * `docs/config.md` from them (`deno task gen`; `deno task check` fails when either is stale).
 *
 * @example The fields of A2C
 * ```ts
 * import { A2C_FIELDS, describeAllowed } from "@webgpu-rl/core/algos";
 * for (const [name, field] of Object.entries(A2C_FIELDS)) {
 *   console.log(name, field.default, describeAllowed(field), field.doc);
 * }
 * ```
 *
 * @module
 */

import { BACKEND_REQUESTS } from "../gpu/device.ts";
import { INIT_SCHEMES } from "../nn/params.ts";
import type { A2cConfig, A3cConfig, AsyncQConfig } from "./config_types.ts";
import {
  booleanField,
  choiceField,
  type Field,
  type FieldTable,
  integerField,
  listField,
  numberField,
  optionsField,
  textField,
} from "./fields.ts";

/** The most global steps an async run may ask for: the Int32 counter's range less a margin. */
export const MAX_GLOBAL_STEPS = 0x7fffffff - (1 << 20);

/** A field with another default. */
function withDefault<V>(field: Field<V>, value: V): Field<V> {
  return { ...field, default: value };
}

// The fields several algorithms share.
const SHARED = {
  env: textField({
    default: "catch",
    allowed: "a registered env name",
    nonEmpty: true,
    doc: "Environment name (see `ENV_NAMES`).",
  }),
  envOptions: optionsField({
    default: {},
    allowed: "an object",
    doc: "Environment options by name, e.g. Pong's `frameSize` or Catch's `rows`.",
  }),
  gamma: numberField({ default: 0.99, range: "(0, 1]", doc: "Discount γ." }),
  lr: numberField({ default: 7e-4, range: "(0, 1]", doc: "Initial learning rate η." }),
  annealLr: booleanField({
    default: true,
    doc: "Anneal the learning rate linearly to 0 over `totalSteps` (the paper's schedule).",
  }),
  rmsAlpha: numberField({ default: 0.99, range: "[0, 1)", doc: "RMSProp decay α." }),
  rmsEps: numberField({
    default: 1e-5,
    range: "(0, 1]",
    doc: "RMSProp ε, inside the square root as the paper writes it: θ ← θ − η·Δθ/√(g + ε).",
  }),
  rmsInit: numberField({
    default: 0,
    range: "[0, 1e6]",
    doc: "RMSProp's mean square g at the start: 0 (the paper's, PyTorch's) or 1 " +
      "(TensorFlow's, as Stable-Baselines3's `RMSpropTFLike`).",
  }),
  valueCoef: numberField({ default: 0.5, range: "[0, 1e6]", doc: "Value loss coefficient." }),
  entropyCoef: numberField({
    default: 0.01,
    range: "[0, 1e6]",
    doc: "Entropy bonus coefficient β.",
  }),
  maxGradNorm: numberField({
    default: 0.5,
    range: "[0, 1e9]",
    doc: "Clip of the gradient's global norm before each update (async: per worker); 0 " +
      "turns it off.",
  }),
  net: choiceField(["auto", "mlp", "ff", "lstm"], {
    default: "auto",
    doc: "Network: an MLP (vector observations), the A3C paper's FF conv net (`ff`) or the " +
      "conv + LSTM net; `auto` picks `ff` for pixels, else `mlp`.",
  }),
  hidden: listField({
    default: [64, 64],
    range: "[1, Infinity)", // the memory estimate refuses what would not fit
    integers: true,
    doc: "Hidden layer sizes of the MLP.",
  }),
  init: choiceField(INIT_SCHEMES, {
    default: "uniform",
    doc: "Parameter init: `uniform` (PyTorch's, ±1/√fan-in, policy layer ×0.01) or " +
      "`orthogonal` (gain √2, policy 0.01, value 1: the baselines' for Atari).",
  }),
  seed: integerField({
    default: 1,
    range: "[0, 4294967295]",
    doc: "Seed of the init, the envs and the action sampling (async: worker k uses seed + k).",
  }),
};

/** Every field of A2C, in the order of `--help` and `docs/config.md`. */
export const A2C_FIELDS: FieldTable<A2cConfig> = {
  env: SHARED.env,
  envOptions: SHARED.envOptions,
  numEnvs: integerField({
    default: 16,
    range: "[1, 1048576]",
    doc: "Environments stepped in lockstep, N.",
  }),
  rolloutSteps: integerField({
    default: 5,
    range: "[1, 4096]",
    doc: "Rollout length T (steps per env per update); the A3C paper's t_max.",
  }),
  totalSteps: integerField({
    default: 100_000,
    range: `[1, ${Number.MAX_SAFE_INTEGER}]`,
    doc: "Budget in environment steps (all envs together); training stops there.",
  }),
  gamma: SHARED.gamma,
  gaeLambda: numberField({
    default: 1,
    range: "[0, 1]",
    doc: "GAE λ; 1 gives the A3C paper's n-step returns.",
  }),
  lr: SHARED.lr,
  annealLr: SHARED.annealLr,
  optimizer: choiceField(["rmsprop", "adam"], {
    default: "rmsprop",
    doc: "Optimizer: RMSProp (the paper's form) or Adam.",
  }),
  rmsAlpha: SHARED.rmsAlpha,
  rmsEps: SHARED.rmsEps,
  rmsInit: SHARED.rmsInit,
  valueCoef: SHARED.valueCoef,
  entropyCoef: SHARED.entropyCoef,
  maxGradNorm: SHARED.maxGradNorm,
  net: SHARED.net,
  hidden: SHARED.hidden,
  init: SHARED.init,
  seed: SHARED.seed,
  backend: choiceField(BACKEND_REQUESTS, {
    default: "auto",
    doc: "Compute backend: `auto` picks the GPU where it is faster, else the CPU.",
  }),
  logEvery: integerField({
    default: 20,
    range: "[1, 1e9]",
    doc: "Iterations between log records (each reads statistics back asynchronously).",
  }),
};

// The fields of every asynchronous method, after `algo`.
const ASYNC_COMMON = {
  env: SHARED.env,
  envOptions: SHARED.envOptions,
  workers: integerField({
    default: 2,
    range: "[1, 256]",
    doc: "Actor-learner workers W (Deno workers, one CPU thread each).",
  }),
  totalSteps: integerField({
    default: 100_000,
    range: `[1, ${MAX_GLOBAL_STEPS}]`,
    doc: "Budget in global steps T (env steps of all workers together, counted on a shared " +
      "Int32); workers stop once T reaches it.",
  }),
  gamma: SHARED.gamma,
  tMax: integerField({
    default: 5,
    range: "[1, 4096]",
    doc: "A3C and n-step Q: the rollout length t_max (a rollout also ends with its " +
      "episode). One-step Q and Sarsa: I_AsyncUpdate, the steps whose gradients are summed " +
      "into one shared update.",
  }),
  lr: SHARED.lr,
  annealLr: SHARED.annealLr,
  rmsAlpha: SHARED.rmsAlpha,
  rmsEps: withDefault(SHARED.rmsEps, 0.1),
  rmsInit: SHARED.rmsInit,
  maxGradNorm: withDefault(SHARED.maxGradNorm, 40),
  clipRewards: booleanField({
    default: false,
    doc: "Clip every reward to [−1, 1] before learning (the paper's Atari setting).",
  }),
  net: SHARED.net,
  hidden: SHARED.hidden,
  init: SHARED.init,
  seed: SHARED.seed,
  logEvery: integerField({
    default: 5_000,
    range: `[1, ${MAX_GLOBAL_STEPS}]`,
    doc: "Global steps between log records.",
  }),
  checkpointPath: textField({
    default: "",
    allowed: 'a path or ""',
    flag: false,
    doc: "Where the coordinator writes the checkpoint at the end, after a fault and after " +
      'Ctrl-C; "" writes none.',
  }),
  checkpointEvery: integerField({
    default: 0,
    range: `[0, ${MAX_GLOBAL_STEPS}]`,
    doc: "Also write the checkpoint every this many global steps; 0: only at the end (`rl " +
      "train`: at every log record).",
  }),
  joinTimeoutSeconds: numberField({
    default: 10,
    range: "(0, 3600]",
    doc: "Seconds to wait for the workers to stop after the stop flag, before terminating " +
      "them.",
  }),
};

/** Every field of A3C. */
export const A3C_FIELDS: FieldTable<A3cConfig> = {
  algo: choiceField(["a3c"], { default: "a3c", doc: "The method (`rl train --algo`)." }),
  ...ASYNC_COMMON,
  entropyCoef: SHARED.entropyCoef,
  annealEntropy: booleanField({
    default: false,
    doc: "Anneal the entropy bonus β linearly to 0 over `totalSteps`, as the learning rate: " +
      "the policy explores early and sharpens late.",
  }),
  valueCoef: SHARED.valueCoef,
};

/** Every field of the asynchronous value-based methods (one-step Q, one-step Sarsa, n-step Q). */
export const ASYNC_Q_FIELDS: FieldTable<AsyncQConfig> = {
  algo: choiceField(["one-step-q", "one-step-sarsa", "n-step-q"], {
    default: "one-step-q",
    doc: "The method: one-step Q-learning, one-step Sarsa or n-step Q-learning.",
  }),
  ...ASYNC_COMMON,
  targetUpdateEvery: integerField({
    default: 40_000,
    range: `[1, ${MAX_GLOBAL_STEPS}]`,
    doc: "I_target: global steps between copies θ⁻ ← θ of the target network.",
  }),
  epsilonAnnealSteps: integerField({
    default: 4_000_000,
    range: `[0, ${MAX_GLOBAL_STEPS}]`,
    doc: "Global steps over which each worker anneals ε from 1 to its final ε.",
  }),
  finalEpsilons: listField({
    default: [0.1, 0.01, 0.5],
    range: "[0, 1]",
    nonEmpty: true,
    doc: "The final ε values a worker draws from (the paper's).",
  }),
  finalEpsilonProbs: listField({
    default: [0.4, 0.3, 0.3],
    range: "[0, 1]",
    nonEmpty: true,
    doc: "Their probabilities (the paper's); they sum to 1.",
  }),
};
