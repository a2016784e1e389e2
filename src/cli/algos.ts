/**
 * The algorithms the command line can train, by name: A2C (`a2c_algo.ts`) and the
 * asynchronous methods (A3C, one-step Q, one-step Sarsa, n-step Q; `async_algos.ts`). Each
 * entry says which config fields it has (the `train` flags are generated from them), how to
 * resolve and validate a config, how to train with checkpoints, and how to load a trained
 * policy for `eval` and `play` on the CPU (see {@link AlgoEntry}); others plug in with
 * {@link registerAlgo}.
 *
 * @module
 */

import { ASYNC_ALGOS } from "../algos/async/config.ts";
import { A2C_ENTRY } from "./a2c_algo.ts";
import { type Algo, type AlgoEntry, type RunConfig, toAlgo } from "./algo_entry.ts";
import { makeAsyncEntry } from "./async_algos.ts";

export * from "./algo_entry.ts";
export { A2C_ENTRY, makeA2cEntry } from "./a2c_algo.ts";

const ALGOS = new Map<string, Algo>([
  ["a2c", toAlgo(A2C_ENTRY)],
  ...ASYNC_ALGOS.map((algo): [string, Algo] => [algo, toAlgo(makeAsyncEntry(algo))]),
]);

/** Adds (or replaces) an algorithm of the `train` command. */
export function registerAlgo<C extends RunConfig>(entry: AlgoEntry<C>): void {
  ALGOS.set(entry.name, toAlgo(entry));
}

/** The registered algorithm names, in registration order. */
export function algoNames(): string[] {
  return [...ALGOS.keys()];
}

/** The algorithm `name`; throws a RangeError listing the registered names. */
export function getAlgo(name: string): Algo {
  const algo = ALGOS.get(name);
  if (!algo) {
    throw new RangeError(
      `algo: unknown name ${JSON.stringify(name)}; allowed: ${algoNames().join(", ")}`,
    );
  }
  return algo;
}
