/**
 * The worker of `bench/a2c_split.ts`: measures the FF net's learner step at the batch it is
 * sent, for the seconds it is sent, and posts samples/s (its own WebAssembly GEMM module).
 *
 * @module
 */

import { cpuLearnerSamplesPerSecond, LEARNER_NETS } from "../src/bench/learner.ts";

const scope = globalThis as unknown as {
  onmessage: (e: MessageEvent<{ B: number; seconds: number }>) => void;
  postMessage: (v: number) => void;
};
scope.onmessage = (e) => {
  const { B, seconds } = e.data;
  scope.postMessage(cpuLearnerSamplesPerSecond(LEARNER_NETS["a3c-ff 84x84x4"], B, seconds));
};
