import assert from "node:assert/strict";
import type { A2cRunner } from "../../src/algos/a2c/common.ts";
import { resolveA2cConfig } from "../../src/algos/a2c/config.ts";
import { makeA2cCpu } from "../../src/algos/a2c/cpu.ts";
import { trainA2c, YIELD_MS } from "../../src/algos/a2c/train.ts";

// Pong's FF net at 42×42, a tiny batch: the phases of a pixel net's iteration are cheap here.
const CONFIG = resolveA2cConfig({
  env: "pong",
  envOptions: { frameSize: 42 },
  net: "ff",
  numEnvs: 2,
  rolloutSteps: 3,
  backend: "cpu",
  seed: 5,
});

Deno.test("a2c cpu: an iteration run in phases is the same iteration, bit for bit", async () => {
  const whole = makeA2cCpu(CONFIG);
  const phased = makeA2cCpu(CONFIG);
  let phases = 0;
  for (let i = 0; i < 2; i++) {
    whole.iterate();
    for (const _ of phased.iterateInPhases!()) phases++;
  }
  // T rollout steps, then the heads and each of the 3 body layers backward (a feed-forward
  // net's training forward is the rollout's own, kept as it acted).
  assert.equal(phases, 2 * (CONFIG.rolloutSteps + 1 + 3));
  assert.deepEqual(await phased.getParams(), await whole.getParams());
  assert.equal(phased.iterations, 2);
});

Deno.test("a2c cpu: an iteration left unfinished changes neither parameters nor optimizer", async () => {
  const runner = makeA2cCpu(CONFIG);
  runner.iterate();
  const params = await runner.getParams();
  const opt = await runner.getOptimizerState();
  const phases = runner.iterateInPhases!();
  for (let k = 0; k < CONFIG.rolloutSteps + 4; k++) phases.next(); // into the backward
  phases.return();
  assert.deepEqual(await runner.getParams(), params);
  assert.deepEqual(await runner.getOptimizerState(), opt);
  assert.equal(runner.iterations, 1);
});

Deno.test("a2c train: a stop request inside a slow iteration acts before it ends", async () => {
  const real = makeA2cCpu(CONFIG);
  const before = await real.getParams();
  // Each phase takes a third of YIELD_MS, so one iteration (7 phases) spans several turns.
  const slow: A2cRunner = Object.assign(Object.create(real), {
    *iterateInPhases() {
      for (const _ of real.iterateInPhases!()) {
        const t0 = performance.now();
        while (performance.now() - t0 < YIELD_MS / 3) { /* a long layer */ }
        yield;
      }
    },
  });
  const result = await trainA2c(
    { ...CONFIG, totalSteps: 1_000 },
    { shouldStop: () => true },
    undefined,
    { runner: slow, backend: { backend: "cpu", reason: "test" } },
  );
  assert.equal(result.stopReason, "stopped");
  assert.equal(real.iterations, 0, "the cut iteration is dropped");
  assert.deepEqual(await real.getParams(), before);
});
