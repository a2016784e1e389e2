/**
 * Learner step (forward, loss, backward, RMSProp) of the A3C FF net, samples per CPU-second of
 * this process, for two or more checkouts of the repository, interleaved round by round; the
 * medians and the ratio. Per CPU-second, so that a busy machine still gives a fair before/after
 * (the README's optimizer figures, 2026-12-03). Roots are absolute paths:
 *
 * ```sh
 * git worktree add /tmp/before f187d77
 * deno run -A bench/before_after/learner_cpu.ts 3 1 /tmp/before $PWD
 * ```
 *
 * @module
 */
import { cpu, med, parseArgs } from "./common.ts";

const { rounds, secs, roots } = parseArgs(Deno.args);
async function setup(root: string) {
  const L = await import(`${root}/src/bench/learner.ts`);
  const ms = await import(`${root}/src/nn/model_spec.ts`);
  const nc = await import(`${root}/src/nn/net_cpu.ts`);
  const ac = await import(`${root}/src/nn/actor_critic.ts`);
  const op = await import(`${root}/src/nn/optim.ts`);
  const pr = await import(`${root}/src/nn/params.ts`);
  return (B: number) => {
    const net = L.LEARNER_NETS["a3c-ff 84x84x4"];
    const layout = pr.makeLayout(ms.paramSpecs(net));
    const offsets = Object.fromEntries(
      layout.tensors.map((t: { name: string; offset: number }) => [t.name, t.offset]),
    );
    const params = pr.initParams(layout, 1);
    const grads = new Float32Array(layout.size);
    const pv = nc.viewTensors(params, offsets, net), gv = nc.viewTensors(grads, offsets, net);
    const acts = nc.makeCpuActivations(net, B, 1);
    const A = 6, size = B * 4 * 84 * 84;
    const d = {
      A,
      obs: Uint8Array.from({ length: size }, (_, i) => (i * 2654435761) >>> 24),
      actions: Int32Array.from({ length: B }, (_, i) => i % A),
      advantages: Float32Array.from({ length: B }, (_, i) => Math.cos(i)),
      returns: Float32Array.from({ length: B }, (_, i) => Math.sin(3 * i)),
    };
    const dLogits = new Float32Array(B * A),
      dValues = new Float32Array(B),
      stats = new Float32Array(ac.LOSS_STATS);
    const OPT = { kind: "rmsprop", lr: 7e-4, alpha: 0.99, eps: 1e-5, maxGradNorm: 0.5 } as const;
    const state = op.makeOptimizerState(OPT, layout.size);
    const parts = { fwd: 0, bwd: 0, opt: 0 };
    const step = () => {
      let t = cpu();
      nc.netForward(net, pv, d.obs, acts);
      ac.actorCriticLoss({
        ...d,
        logits: acts.policy,
        values: acts.value,
        dLogits,
        dValues,
        stats,
        B,
      });
      let u = cpu();
      parts.fwd += u - t;
      t = u;
      nc.netBackward(net, pv, gv, d.obs, acts, dLogits, dValues);
      u = cpu();
      parts.bwd += u - t;
      t = u;
      op.optimizerStep(OPT, state, params, grads);
      u = cpu();
      parts.opt += u - t;
    };
    return () => {
      step();
      step();
      parts.fwd = parts.bwd = parts.opt = 0;
      let n = 0;
      const c0 = cpu();
      do {
        step();
        n++;
      } while (cpu() - c0 < secs);
      const c = cpu() - c0;
      return { sps: B * n / c, optShare: parts.opt / (parts.fwd + parts.bwd + parts.opt) };
    };
  };
}
const makers = await Promise.all(roots.map(setup));
for (const B of (Deno.env.get("BS") ?? "5").split(",").map(Number)) {
  const runs = makers.map((m) => m(B));
  const got = roots.map(() => [] as { sps: number; optShare: number }[]);
  for (let r = 0; r < rounds; r++) for (const [i, f] of runs.entries()) got[i].push(f());
  for (const [i, root] of roots.entries()) {
    console.log(
      `B=${B} ${root}: ${med(got[i].map((g) => g.sps)).toFixed(1)} samples/CPU-s, optimizer ${
        (100 * med(got[i].map((g) => g.optShare))).toFixed(0)
      } % of the step`,
    );
  }
  const ratios = got[1]?.map((g, j) => g.sps / got[0][j].sps);
  if (ratios) {
    console.log(
      `B=${B} after/before: median ${med(ratios).toFixed(2)} (rounds: ${
        ratios.map((x) => x.toFixed(2)).join(", ")
      })`,
    );
  }
}
