/**
 * The CPU learner step (forward, actor-critic loss, backward, RMSProp) against the PyTorch
 * peer `../shared/peers/torch_learner.py` on the same nets and batches, one thread each,
 * interleaved case by case (PyTorch, the fast path, the TypeScript twin, in turn), a few
 * rounds, the median of each: a ratio measured side by side on a shared machine.
 *
 * Usage: `deno run -A bench/learner_vs_torch.ts [--rounds 3] [--seconds 1] [--batches 5,32,80]
 * [--peer ../shared/peers/torch_learner.py] [--python /usr/bin/python3] [--no-twin]`.
 * Prints a markdown table.
 *
 * @module
 */

import { cpuLearnerSamplesPerSecond, LEARNER_NETS, LSTM_T } from "../src/bench/learner.ts";
import { gemmBackend } from "../src/nn/gemm.ts";
import { lstmLayer } from "../src/nn/net_cpu.ts";

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}

const rounds = Number(flag("rounds", "3"));
const seconds = Number(flag("seconds", "1"));
const batches = flag("batches", "5,32,80").split(",").map(Number);
const peer = flag("peer", "../shared/peers/torch_learner.py");
const python = flag("python", "/usr/bin/python3");
const withTwin = !Deno.args.includes("--no-twin");

async function torch(net: string, B: number): Promise<number> {
  const out = await new Deno.Command(python, {
    args: [
      peer,
      "--threads",
      "1",
      "--nets",
      net,
      "--batches",
      String(B),
      "--seconds",
      String(seconds),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`${python} ${peer} failed (exit ${out.code})`);
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop()!;
  return JSON.parse(line).samples_per_s;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const cases = Object.entries(LEARNER_NETS).flatMap(([name, net]) =>
  batches.filter((B) => !(lstmLayer(net) && B % LSTM_T)).map((B) => ({ name, net, B }))
);
const got = cases.map(() => ({
  torch: [] as number[],
  fast: [] as number[],
  twin: [] as number[],
}));
for (let r = 0; r < rounds; r++) {
  for (const [i, c] of cases.entries()) {
    got[i].torch.push(await torch(c.name, c.B));
    got[i].fast.push(cpuLearnerSamplesPerSecond(c.net, c.B, seconds));
    if (withTwin) got[i].twin.push(cpuLearnerSamplesPerSecond(c.net, c.B, seconds, true));
    console.error(`round ${r + 1}/${rounds}: ${c.name} B=${c.B} done`);
  }
}
console.log(
  `\nlearner samples/s, 1 thread, median of ${rounds} interleaved rounds of ~${seconds} s; ` +
    `fast path: ${gemmBackend()}; ${new Date().toISOString()}\n`,
);
console.log(
  "| net | B | PyTorch | fast path | fast / PyTorch |" +
    (withTwin ? " TS twin | fast / twin |" : ""),
);
console.log("|---|---:|---:|---:|---:|" + (withTwin ? "---:|---:|" : ""));
for (const [i, c] of cases.entries()) {
  const t = median(got[i].torch), f = median(got[i].fast), w = median(got[i].twin);
  const ratio = median(got[i].fast.map((v, j) => v / got[i].torch[j]));
  console.log(
    `| ${c.name} | ${c.B} | ${t.toFixed(0)} | ${f.toFixed(0)} | ${ratio.toFixed(2)} |` +
      (withTwin ? ` ${w.toFixed(0)} | ${(f / w).toFixed(1)} |` : ""),
  );
}
