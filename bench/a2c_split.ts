/**
 * Would the CPU A2C form gain from splitting its learner batch across 2 workers? An upper
 * bound, measured side by side: samples/s of the learner step of the 84×84 FF net at
 * B = T·N in this thread, against two workers each stepping B/2 at the same time (each with
 * its own WebAssembly GEMM module), summed. The bound leaves out what a real split adds: the
 * gradient sum and the parameter copy between workers each step. Alternating rounds, medians.
 *
 * Usage: `deno run -A bench/a2c_split.ts [--batch 80] [--rounds 3] [--seconds 2]`.
 *
 * @module
 */

import { cpuLearnerSamplesPerSecond, LEARNER_NETS } from "../src/bench/learner.ts";

const NET = "a3c-ff 84x84x4";

const flag = (name: string, fallback: string) => {
  const i = Deno.args.indexOf(`--${name}`);
  return Number(i >= 0 ? Deno.args[i + 1] : fallback);
};
const B = flag("batch", "80"), rounds = flag("rounds", "3"), seconds = flag("seconds", "2");
const workers = [0, 1].map(() =>
  new Worker(new URL("./a2c_split_worker.ts", import.meta.url), { type: "module" })
);
const both = () =>
  Promise.all(workers.map((w) =>
    new Promise<number>((resolve) => {
      w.onmessage = (e: MessageEvent<number>) => resolve(e.data);
      w.postMessage({ B: B / 2, seconds });
    })
  ));
await both(); // warm-up of the workers' JITs
const one: number[] = [], two: number[] = [];
for (let r = 0; r < rounds; r++) {
  one.push(cpuLearnerSamplesPerSecond(LEARNER_NETS[NET], B, seconds));
  two.push((await both()).reduce((a, b) => a + b, 0));
}
for (const w of workers) w.terminate();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `${NET} learner, ${new Date().toISOString()}: 1 thread B=${B}: ${median(one).toFixed(0)} ` +
    `samples/s; 2 workers B=${B / 2} each: ${median(two).toFixed(0)} samples/s (upper bound); ` +
    `ratio ${(median(two) / median(one)).toFixed(2)}`,
);
