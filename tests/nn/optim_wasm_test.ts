import assert from "node:assert/strict";
import { type GemmBackend, gemmBackend, setGemmBackend } from "../../src/nn/gemm.ts";
import {
  gradientNorm,
  gradientNormTwin,
  makeOptimizerState,
  type OptimizerConfig,
  type OptimizerState,
  optimizerStep,
} from "../../src/nn/optim.ts";
import {
  eluFast,
  OPTIM_CHUNK,
  OPTIM_MIN_SIZE,
  registerOptimizerMemory,
} from "../../src/nn/optim_wasm.ts";
import { activationForward } from "../../src/nn/activations.ts";
import { assertClose, randomArray } from "../util.ts";

// Odd lengths: none a multiple of 4 or 8 (the loops' widths) or of the scratch chunk; the
// longer ones end in a short chunk of the private path.
const LENGTHS = [OPTIM_MIN_SIZE + 1, OPTIM_MIN_SIZE + 7, OPTIM_CHUNK + 3, 2 * OPTIM_CHUNK + 813];

const CONFIGS: OptimizerConfig[] = [
  { kind: "rmsprop", lr: 0.01 }, // the paper's form: ε 0.1, g from 0
  { kind: "rmsprop", lr: 7e-4, alpha: 0.99, eps: 1e-5, maxGradNorm: 0.5, totalSteps: 10 },
  { kind: "rmsprop", lr: 0.01, eps: 1e-5, rmsInit: 1 },
  { kind: "adam", lr: 0.01, maxGradNorm: 1 },
];

/** The flavours to test: those the GEMM compiles here (the optimizer follows its choice). */
function flavours(): GemmBackend[] {
  const out: GemmBackend[] = [];
  for (const b of ["wasm-relaxed-simd", "wasm-simd"] as const) {
    setGemmBackend(b);
    if (gemmBackend() === b) out.push(b);
  }
  setGemmBackend(undefined);
  return out;
}

/** Three steps from the same start with `backend`; the grads differ per step. */
function run(
  backend: GemmBackend,
  config: OptimizerConfig,
  n: number,
  arrays?: { params: Float32Array; grads: Float32Array; state: OptimizerState },
) {
  const params = arrays?.params ?? new Float32Array(n);
  const grads = arrays?.grads ?? new Float32Array(n);
  const state = arrays?.state ?? makeOptimizerState(config, n);
  params.set(randomArray(n, 1));
  if (config.kind === "rmsprop") state.first.fill(config.rmsInit ?? 0);
  else (state.first.fill(0), state.second.fill(0));
  state.step = 0;
  const norms: number[] = [];
  setGemmBackend(backend);
  try {
    for (let t = 0; t < 3; t++) {
      grads.set(randomArray(n, 10 + t, -0.3 * (t + 1), 0.3 * (t + 1)));
      norms.push(optimizerStep(config, state, params, grads).gradNorm);
    }
  } finally {
    setGemmBackend(undefined);
  }
  return { params, first: state.first, second: state.second, norms };
}

// f32 arithmetic against the twin's f64 (each rounded to f32 when stored): θ within a couple
// of f32 ulps, |Δθ| ≤ 2e-7 + 1e-6·|θ| (|θ| < 2). The statistics within 1e-6 relative, but
// Adam's m = β1·m + (1−β1)·d cancels, so its error is relative to its terms (|d| < 0.3·3 after
// clipping, the terms under 1e-1: a few roundings of 6e-9), hence atol 2e-8. The norms are
// f64 sums of the same exact squares in another order: 1e-12.
const TOL = {
  params: { atol: 2e-7, rtol: 1e-6 },
  state: { atol: 2e-8, rtol: 1e-6 },
};

function compare(
  got: ReturnType<typeof run>,
  want: ReturnType<typeof run>,
  what: string,
): void {
  assertClose(got.params, want.params, { ...TOL.params, name: `${what} θ` });
  assertClose(got.first, want.first, { ...TOL.state, name: `${what} first` });
  assertClose(got.second, want.second, { ...TOL.state, name: `${what} second` });
  assertClose(got.norms, want.norms, { atol: 0, rtol: 1e-12, name: `${what} norms` });
}

Deno.test("optim wasm: the fast step == the TS twin on odd lengths (RMSProp forms, Adam, clipping)", () => {
  const backends = flavours();
  if (backends.length === 0) console.warn("no WebAssembly SIMD here: only the twin ran");
  for (const n of LENGTHS) {
    for (const config of CONFIGS) {
      const want = run("ts", config, n);
      for (const b of backends) compare(run(b, config, n), want, `${b} ${config.kind} n=${n}`);
    }
  }
});

Deno.test("optim wasm: in place on a registered shared memory (A3C's layout) == the TS twin", () => {
  const n = OPTIM_MIN_SIZE + 5;
  const stride = Math.ceil(n / 4) * 4;
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  registerOptimizerMemory(memory);
  const at = (k: number) => new Float32Array(memory.buffer, 4 * (16 + k * stride), n);
  for (const config of CONFIGS) {
    const adam = config.kind === "adam";
    const state = makeOptimizerState(config, n, {
      first: at(2),
      second: adam ? at(3) : undefined,
    });
    const arrays = { params: at(0), grads: at(1), state };
    const want = run("ts", config, n);
    for (const b of flavours()) {
      compare(run(b, config, n, arrays), want, `shared ${b} ${config.kind}`);
    }
  }
});

Deno.test("optim wasm: gradientNorm on the fast path == the twin; float64 and short arrays run the twin", () => {
  for (const n of LENGTHS) {
    const g = Float32Array.from(randomArray(n, n, -2, 2));
    assertClose([gradientNorm(g)], [gradientNormTwin(g)], { atol: 0, rtol: 1e-12 });
  }
  const g64 = randomArray(OPTIM_MIN_SIZE + 3, 5);
  assert.equal(gradientNorm(g64), gradientNormTwin(g64));
  assert.equal(gradientNorm(new Float32Array([3, 4])), 5);
});

/** Distance in f32 steps between two f32 values (0 for ±0 and for two NaNs). */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  // Map the sign-magnitude bit patterns onto a line where neighbours differ by 1.
  const line = (i: number) => (i < 0 ? -(i & 0x7fffffff) : i);
  return Math.abs(line(bits[0]) - line(bits[1]));
}

Deno.test("optim wasm: ELU on the fast path == the twin's Math.expm1 within 2 f32 ulps, in place or not", () => {
  // What the range reduction and the select must get right, then random values across the
  // branches: x > 0, tiny |x| (expm1 ≈ x), the reduction's range, past −87 (where f32 expm1 is −1).
  const special = [
    NaN,
    0,
    -0,
    -Infinity,
    Infinity,
    -1e-45,
    -1e-40,
    -1e-30,
    -1e-7,
    -0.3465,
    -87,
    -88,
    -1e4,
  ];
  for (const backend of flavours()) {
    for (const n of LENGTHS) {
      const x = Float32Array.from(
        randomArray(n, 3, -12, 4),
        (v, i) =>
          i < special.length
            ? special[i]
            : i % 97 === 0
            ? -20 - (i % 80)
            : i % 89 === 0
            ? v * 1e-6
            : v,
      );
      const want = new Float32Array(n);
      activationForward({ act: "elu", x, y: want });
      const got = new Float32Array(n);
      setGemmBackend(backend);
      try {
        assert.ok(eluFast(x, got), `${backend}: the fast path ran`);
        const inPlace = x.slice();
        assert.ok(eluFast(inPlace, inPlace));
        assert.deepEqual(inPlace, got, `${backend}: in place == out of place`);
      } finally {
        setGemmBackend(undefined);
      }
      for (let i = 0; i < n; i++) {
        assert.ok(
          ulps(got[i], want[i]) <= 2,
          `${backend} n=${n}: elu(${x[i]}) = ${got[i]}, twin ${want[i]} (${
            ulps(got[i], want[i])
          } ulps)`,
        );
      }
    }
  }
  setGemmBackend("ts");
  try {
    assert.equal(
      eluFast(new Float32Array(OPTIM_MIN_SIZE), new Float32Array(OPTIM_MIN_SIZE)),
      false,
    );
  } finally {
    setGemmBackend(undefined);
  }
  assert.equal(eluFast(new Float32Array(8), new Float32Array(8)), false, "short: the twin runs");
});
