import {
  type Activation,
  activationBackward,
  activationForward,
} from "../../src/nn/activations.ts";
import { recordActivationBackward, recordActivationForward } from "../../src/nn/activations_gpu.ts";
import { createStorageBuffer, readFloats } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import { assertClose, dot, gpuTest, numericGradient, randomArray } from "../util.ts";

const KINDS: Activation[] = ["relu", "elu", "tanh", "identity"];

for (const act of KINDS) {
  Deno.test(`${act}: backward matches finite differences (float64)`, () => {
    // Keep inputs away from ReLU's kink at 0 so the finite difference is well defined.
    const x = randomArray(37, 1).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
    const w = randomArray(37, 2);
    const y = new Float64Array(37);
    const loss = () => {
      activationForward({ act, x, y });
      return dot(w, y);
    };
    const numeric = numericGradient(loss, x);
    activationForward({ act, x, y });
    const dx = new Float64Array(37);
    activationBackward({ act, y, dy: w, dx });
    assertClose(dx, numeric, { atol: 1e-7, rtol: 1e-6, name: `${act} dx` });
  });

  gpuTest(`${act}: WGSL forward and backward match the twin`, async (gpu) => {
    const n = 1000; // not a multiple of the 256-wide workgroup
    const x = new Float32Array(randomArray(n, 3, -3, 3));
    const dy = new Float32Array(randomArray(n, 4));
    const y = new Float32Array(n);
    const dx = new Float32Array(n);
    activationForward({ act, x, y });
    activationBackward({ act, y, dy, dx });
    const xb = createStorageBuffer(gpu, x);
    const yb = createStorageBuffer(gpu, n * 4);
    const dyb = createStorageBuffer(gpu, dy);
    const dxb = createStorageBuffer(gpu, n * 4);
    await runPlan(gpu, [
      await recordActivationForward(gpu, { act, x: xb, y: yb, n }),
      await recordActivationBackward(gpu, { act, y: yb, dy: dyb, dx: dxb, n }),
    ]);
    // Transcendentals (exp, tanh) differ by a few ulps between WGSL and JS.
    assertClose(await readFloats(gpu, yb), y, { atol: 1e-6, rtol: 1e-5, name: `${act} y` });
    assertClose(await readFloats(gpu, dxb), dx, { atol: 1e-6, rtol: 1e-5, name: `${act} dx` });
  });
}
