/**
 * A3C with one worker on Pong 42×42 (the FF net): global steps per CPU-second of this process
 * (the worker thread is nearly all of it) and per wall-second, for two checkouts of the
 * repository, interleaved round by round; the medians and the ratio (the README's optimizer
 * figures, 2026-12-03). Roots are absolute paths:
 *
 * ```sh
 * git worktree add /tmp/before f187d77
 * deno run -A bench/before_after/a3c_pong42.ts 3 5 /tmp/before $PWD
 * ```
 *
 * @module
 */
import { cpu, parseArgs, printReport } from "./common.ts";

const { rounds, secs, roots } = parseArgs(Deno.args);
const mods = await Promise.all(roots.map((r) => import(`${r}/src/algos/async/coordinator.ts`)));
const got = roots.map(() => ({ cpu: [] as number[], wall: [] as number[] }));
for (let r = 0; r < rounds; r++) {
  for (const [i, m] of mods.entries()) {
    let s0 = -1, c0 = 0, w0 = 0, s1 = 0, c1 = 0, w1 = 0;
    await m.trainAsync({
      algo: "a3c",
      env: "pong",
      envOptions: { frameSize: 42 },
      workers: 1,
      totalSteps: 2_000_000_000,
      logEvery: 50,
      annealLr: false,
    }, {
      handleSigint: false,
      pollMs: 10,
      onLog(rec: { globalSteps: number }) {
        if (s0 < 0 && rec.globalSteps >= 500) {
          s0 = rec.globalSteps;
          c0 = cpu();
          w0 = performance.now();
        }
        if (s0 >= 0) {
          s1 = rec.globalSteps;
          c1 = cpu();
          w1 = performance.now();
        }
      },
      shouldStop: () => s0 >= 0 && cpu() - c0 >= secs,
    });
    got[i].cpu.push((s1 - s0) / (c1 - c0));
    got[i].wall.push((s1 - s0) / ((w1 - w0) / 1000));
  }
}
printReport(roots, got, "global steps");
