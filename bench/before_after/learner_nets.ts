/**
 * The CPU learner step (`cpuLearnerSamplesPerSecond`: forward, loss, backward, RMSProp) of
 * every net of `LEARNER_NETS` at B = 32 and 80, samples per CPU-second of this process and per
 * wall-second, for two or more checkouts of the repository, interleaved round by round; the
 * medians and the ratio per net and batch (the README's ELU figures, 2026-12-03). Roots are
 * absolute paths:
 *
 * ```sh
 * git worktree add /tmp/before 76c6709
 * deno run -A bench/before_after/learner_nets.ts 3 1 /tmp/before $PWD
 * ```
 *
 * @module
 */
import { cpu, parseArgs, printReport } from "./common.ts";

const { rounds, secs, roots } = parseArgs(Deno.args);
const mods = await Promise.all(roots.map((r) => import(`${r}/src/bench/learner.ts`)));
const cases = Object.keys(mods[0].LEARNER_NETS).flatMap((name) =>
  [32, 80].map((B) => ({ name, B }))
);
for (const { name, B } of cases) {
  const got = roots.map(() => ({ cpu: [] as number[], wall: [] as number[] }));
  for (let r = 0; r < rounds; r++) {
    for (const [i, m] of mods.entries()) {
      const [c0, w0] = [cpu(), performance.now()];
      const perWall = m.cpuLearnerSamplesPerSecond(m.LEARNER_NETS[name], B, secs);
      const [c1, w1] = [cpu(), performance.now()];
      got[i].wall.push(perWall);
      got[i].cpu.push((perWall * (w1 - w0)) / 1000 / (c1 - c0));
    }
  }
  console.log(`\n${name}, B = ${B}:`);
  printReport(roots, got, "samples");
}
