/**
 * A2C's CPU form on Pong (the FF net, N 16, T 5; 84×84 frames, or 42×42 with `--42`): env
 * steps per CPU-second and per wall-second, for two or more checkouts of the repository,
 * interleaved round by round; the medians and the ratio to the first (the README's figures for
 * the kept acting passes, 2026-12-03). Roots are absolute paths:
 *
 * ```sh
 * git worktree add /tmp/before aef9fa8
 * deno run -A bench/before_after/a2c_pong.ts 3 5 /tmp/before $PWD
 * ```
 *
 * @module
 */
import { cpu, parseArgs, printReport } from "./common.ts";

const small = Deno.args.includes("--42");
const { rounds, secs, roots } = parseArgs(Deno.args.filter((a) => a !== "--42"));
const mods = await Promise.all(roots.map((r) => import(`${r}/src/algos/a2c/cpu.ts`)));
const configs = await Promise.all(roots.map((r) => import(`${r}/src/algos/a2c/config.ts`)));
const got = roots.map(() => ({ cpu: [] as number[], wall: [] as number[] }));
for (let r = 0; r < rounds; r++) {
  for (const [i, m] of mods.entries()) {
    const config = configs[i].resolveA2cConfig({
      env: "pong",
      envOptions: small ? { frameSize: 42 } : {},
      net: "ff",
      numEnvs: 16,
      rolloutSteps: 5,
      totalSteps: 1e9,
      backend: "cpu",
      seed: 1,
    });
    const runner = m.makeA2cCpu(config);
    for (let k = 0; k < 3; k++) runner.iterate(); // past V8's baseline compiler
    const [c0, w0] = [cpu(), performance.now()];
    let iterations = 0;
    while (cpu() - c0 < secs) {
      runner.iterate();
      iterations++;
    }
    const steps = iterations * 16 * 5;
    got[i].cpu.push(steps / (cpu() - c0));
    got[i].wall.push(steps / ((performance.now() - w0) / 1000));
  }
}
printReport(roots, got, "env-steps");
