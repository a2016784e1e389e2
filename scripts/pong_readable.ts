/**
 * Can the A3C feed-forward net read Pong's frames? A supervised check, no RL: frames come from
 * a half-random, half-tracking player; the net (the one A2C and A3C train, 42×42×4 input) is
 * trained with Adam and cross-entropy to predict a label from the frames alone, and its
 * accuracy on held-out frames is printed every 250 steps.
 *
 * Labels: `half` (is the ball in the top half?), `paddle` (is the agent's paddle in the top
 * half?), `track` (the ball tracker's action: up, down or stay). Run with the ALE background
 * (87) and with the default (0) to see why Pong's observation background is black:
 *
 * ```sh
 * deno run -A scripts/pong_readable.ts --label half --background 87   # stays at chance
 * deno run -A scripts/pong_readable.ts --label half --background 0    # ~95% in 500 steps
 * ```
 *
 * @module
 */

import { Command } from "commander";
import { makePongCpu, PONG_GEOMETRY as G } from "../src/envs/pong.ts";
import { actorCriticLoss, LOSS_STATS } from "../src/nn/actor_critic.ts";
import { a3cFeedForwardNet, paramSpecs } from "../src/nn/model_spec.ts";
import { makeCpuActivations, netBackward, netForward, viewTensors } from "../src/nn/net_cpu.ts";
import { makeOptimizerState, optimizerStep } from "../src/nn/optim.ts";
import { initParams, makeLayout } from "../src/nn/params.ts";
import { makeRng } from "../src/util/rng.ts";

/** Labels the net is trained to read from the frames. */
export const READ_LABELS = ["half", "paddle", "track"] as const;

/** Settings of {@link trainReadability}. */
export interface ReadabilityOptions {
  /** What to predict: `half`, `paddle` or `track`. */
  readonly label: (typeof READ_LABELS)[number];
  /** Pong's observation background gray level (ALE: 87; default 0). */
  readonly background: number;
  /** Adam steps of batch 32. */
  readonly steps: number;
  /** Adam learning rate (default 3e-4). */
  readonly lr?: number;
  /** Seed of the data and the init (default 1). */
  readonly seed?: number;
  /** Called every 250 steps (and at the end) with the held-out accuracy. */
  readonly onAccuracy?: (step: number, accuracy: number) => void;
}

/**
 * Trains the FF net to predict `label` from 42×42×4 Pong frames (6,400 stacks from a
 * half-random, half-tracking player, 80% to train on) and returns the share of the majority
 * class and the final held-out accuracy.
 */
export function trainReadability(o: ReadabilityOptions): { majority: number; accuracy: number } {
  const seed = o.seed ?? 1;
  const S = 42;
  const N = 64;
  const F = 4 * S * S;
  const env = makePongCpu(N, { frameSize: S, background: o.background });
  env.reset(seed);
  const UP = 2, DOWN = 3, STAY = 0;
  // The label of copy `i` from its state (the net sees only the frames).
  const label = (i: number): number => {
    const s = env.peek(i);
    const ball = s.ballY + (G.BALL_H * 256) / 2;
    const paddle = s.agentY + (G.PADDLE_H * 256) / 2;
    if (o.label === "half") return ball < (G.FIELD * 256) / 2 ? UP : DOWN;
    if (o.label === "paddle") return paddle < (G.FIELD * 256) / 2 ? UP : DOWN;
    return ball < paddle - 384 ? UP : ball > paddle + 384 ? DOWN : STAY;
  };

  const rng = makeRng(seed, 1);
  const frames: Uint8Array[] = [];
  const labels: number[] = [];
  const actions = new Int32Array(N);
  for (let t = 0; t < 400; t++) {
    for (let i = 0; i < N; i++) actions[i] = rng.unit() < 0.5 ? rng.int(6) : label(i);
    env.step(actions);
    if (t % 4 !== 0) continue;
    for (let i = 0; i < N; i++) {
      frames.push(Uint8Array.from(env.obs.subarray(i * F, (i + 1) * F)));
      labels.push(label(i));
    }
  }
  const trainCount = Math.floor(frames.length * 0.8);

  // The net, Adam, and cross-entropy as the actor-critic loss with advantage 1, no value term.
  const net = a3cFeedForwardNet([4, S, S], 6, "u8");
  const layout = makeLayout(paramSpecs(net));
  const offsets = Object.fromEntries(layout.tensors.map((t) => [t.name, t.offset]));
  const params = initParams(layout, seed);
  const grads = new Float32Array(layout.size);
  const pv = viewTensors(params, offsets, net);
  const gv = viewTensors(grads, offsets, net);
  const adam = { kind: "adam" as const, lr: o.lr ?? 3e-4 };
  const state = makeOptimizerState(adam, layout.size);
  const B = 32;
  const acts = makeCpuActivations(net, B);
  const x = new Uint8Array(B * F);
  const y = new Int32Array(B);
  const ones = new Float32Array(B).fill(1);
  const zeros = new Float32Array(B);
  const dLogits = new Float32Array(B * 6);
  const dValues = new Float32Array(B);
  const stats = new Float32Array(LOSS_STATS);

  // Accuracy (argmax of the logits) on the held-out frames.
  const accuracy = (): number => {
    let right = 0, count = 0;
    for (let s = trainCount; s + B <= frames.length; s += B) {
      for (let b = 0; b < B; b++) x.set(frames[s + b], b * F);
      netForward(net, pv, x, acts);
      for (let b = 0; b < B; b++) {
        let best = 0;
        for (let k = 1; k < 6; k++) {
          if (acts.policy[b * 6 + k] > acts.policy[b * 6 + best]) best = k;
        }
        right += best === labels[s + b] ? 1 : 0;
        count++;
      }
    }
    return right / count;
  };

  for (let step = 0; step < o.steps; step++) {
    if (step % 250 === 0 && o.onAccuracy) o.onAccuracy(step, accuracy());
    for (let b = 0; b < B; b++) {
      const j = rng.int(trainCount);
      x.set(frames[j], b * F);
      y[b] = labels[j];
    }
    netForward(net, pv, x, acts);
    actorCriticLoss({
      logits: acts.policy,
      values: acts.value,
      actions: y,
      advantages: ones,
      returns: zeros,
      dLogits,
      dValues,
      stats,
      B,
      A: 6,
    }, { valueCoef: 0, entropyCoef: 0 });
    netBackward(net, pv, gv, x, acts, dLogits, dValues);
    optimizerStep(adam, state, params, grads);
  }
  const final = accuracy();
  o.onAccuracy?.(o.steps, final);
  const majority = Math.max(...[UP, DOWN, STAY].map((k) => labels.filter((l) => l === k).length));
  return { majority: majority / labels.length, accuracy: final };
}

if (import.meta.main) {
  const opts = new Command()
    .name("pong_readable")
    .description("supervised check: can the FF net read Pong's frames?")
    .option("--label <kind>", "half, paddle or track", "half")
    .option("--background <gray>", "observation background gray level (ALE: 87)", "0")
    .option("--steps <n>", "Adam steps of batch 32", "1000")
    .option("--lr <x>", "Adam learning rate", "3e-4")
    .option("--seed <n>", "seed", "1")
    .parse(["deno", "pong_readable", ...Deno.args])
    .opts();
  if (!(READ_LABELS as readonly string[]).includes(opts.label)) {
    throw new RangeError(`--label: got ${opts.label}, allowed: ${READ_LABELS.join(", ")}`);
  }
  const [background, steps, lr, seed] = ["background", "steps", "lr", "seed"].map((k) => {
    const v = Number(opts[k]);
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`--${k}: got ${opts[k]}`);
    return v;
  });
  console.log(`label ${opts.label}, background ${background}`);
  const r = trainReadability({
    label: opts.label,
    background,
    steps,
    lr,
    seed,
    onAccuracy: (step, a) => console.log(`step ${step}: held-out accuracy ${a.toFixed(3)}`),
  });
  console.log(`majority class ${r.majority.toFixed(3)}, final accuracy ${r.accuracy.toFixed(3)}`);
}
