import assert from "node:assert/strict";
import {
  countParams,
  findTensor,
  initParams,
  initParamsBy,
  initParamsOrthogonal,
  makeFlat,
  makeLayout,
  PARAM_ALIGN,
  tensorRange,
  type TensorSpec,
  tensorView,
} from "../../src/nn/params.ts";

const SPECS: TensorSpec[] = [
  { name: "conv.weight", shape: [16, 4, 8, 8], fanIn: 256 }, // 4096 floats: exactly 64 rows
  { name: "conv.bias", shape: [16], fanIn: 256 },
  { name: "fc.weight", shape: [7, 13], fanIn: 13 }, // 91: not a multiple of 64
  { name: "fc.bias", shape: [7], fanIn: 13 },
  { name: "policy.weight", shape: [3, 7], fanIn: 7, initScale: 0.01 },
  { name: "policy.bias", shape: [3], fanIn: 7, zero: true },
  { name: "value.bias", shape: [1], fanIn: 7, initScale: 0 },
];

Deno.test("layout: offsets are multiples of 64 floats, in order, and never overlap", () => {
  const layout = makeLayout(SPECS);
  assert.equal(PARAM_ALIGN, 64);
  assert.deepEqual(layout.tensors.map((t) => t.offset), [0, 4096, 4160, 4288, 4352, 4416, 4480]);
  assert.deepEqual(layout.tensors.map((t) => t.length), [4096, 16, 91, 7, 21, 3, 1]);
  for (let i = 0; i < layout.tensors.length; i++) {
    const t = layout.tensors[i];
    assert.equal(t.offset % 64, 0, `${t.name} offset`);
    const next = i + 1 < layout.tensors.length ? layout.tensors[i + 1].offset : layout.size;
    assert.ok(t.offset + t.length <= next, `${t.name} ends before the next tensor`);
  }
  assert.equal(layout.size, 4544);
  assert.equal(layout.size % 64, 0);
  assert.equal(countParams(layout), 4096 + 16 + 91 + 7 + 21 + 3 + 1);
  assert.deepEqual(findTensor(layout, "fc.weight").shape, [7, 13]);
  assert.equal(makeLayout([]).size, 64, "an empty layout still has one aligned block");
});

Deno.test("layout: duplicate names, bad shapes, fan-ins and scales are refused by name", () => {
  const ok = { name: "a", shape: [2], fanIn: 1 };
  assert.throws(() => makeLayout([ok, { ...ok }]), /duplicate tensor name "a"/);
  assert.throws(() => makeLayout([{ ...ok, name: "" }]), /non-empty strings/);
  for (const shape of [[], [0], [2, -1], [1.5], [Number.NaN]]) {
    assert.throws(
      () => makeLayout([{ ...ok, name: "w", shape }]),
      new RegExp(`tensor "w" has shape \\[.*\\]; the shape must be a non-empty list`),
      JSON.stringify(shape),
    );
  }
  assert.throws(() => makeLayout([{ ...ok, fanIn: 0 }]), /tensor "a" has fanIn 0/);
  assert.throws(() => makeLayout([{ ...ok, initScale: -1 }]), /tensor "a" has initScale -1/);
});

Deno.test("tensorView shares memory; tensorRange gives 256-byte-aligned byte ranges", () => {
  const layout = makeLayout(SPECS);
  const flat = makeFlat(layout);
  const w = tensorView(layout, flat, "fc.weight");
  assert.equal(w.length, 91);
  w[90] = 5;
  assert.equal(flat[4160 + 90], 5);
  const f64 = tensorView(layout, new Float64Array(layout.size), "fc.bias");
  assert.ok(f64 instanceof Float64Array && f64.length === 7);
  assert.throws(() => tensorView(layout, new Float32Array(10), "fc.bias"), /has 10 floats/);
  assert.throws(() => tensorView(layout, flat, "nope"), /no tensor "nope"; the layout has conv/);

  const buffer = { size: layout.size * 4, label: "params" } as unknown as GPUBuffer;
  const r = tensorRange(layout, buffer, "policy.weight");
  assert.equal(r.buffer, buffer);
  assert.equal(r.offset, 4352 * 4);
  assert.equal(r.offset % 256, 0);
  assert.equal(r.size, 21 * 4);
  const small = { size: 4200 * 4, label: "small" } as unknown as GPUBuffer;
  assert.throws(() => tensorRange(layout, small, "fc.bias"), /"small" has 16800 bytes/);
});

Deno.test("initParams: PyTorch's uniform(±scale/√fanIn), zeros, padding 0, seeded", () => {
  const layout = makeLayout(SPECS);
  const a = initParams(layout, 42);
  for (const t of layout.tensors) {
    const v = tensorView(layout, a, t.name);
    const bound = t.zero ? 0 : (t.initScale ?? 1) / Math.sqrt(t.fanIn);
    let maxAbs = 0;
    let mean = 0;
    for (const x of v) {
      assert.ok(Math.abs(x) <= bound, `${t.name}: ${x} outside ±${bound}`);
      maxAbs = Math.max(maxAbs, Math.abs(x));
      mean += x / v.length;
    }
    if (t.length >= 16 && bound > 0) {
      // The draws fill the interval: not a narrower or shifted one.
      assert.ok(maxAbs > 0.75 * bound, `${t.name}: max |x| ${maxAbs} of bound ${bound}`);
      const sigma = bound / Math.sqrt(3 * t.length); // standard deviation of the mean
      assert.ok(Math.abs(mean) < 4 * sigma, `${t.name}: mean ${mean}`);
    }
    if (bound === 0) assert.ok(v.every((x) => x === 0), `${t.name} zeros`);
    // Padding after the tensor stays 0.
    const end = t.offset + Math.ceil(t.length / 64) * 64;
    assert.ok(a.subarray(t.offset + t.length, end).every((x) => x === 0), `${t.name} padding`);
  }
  // conv.weight: bound 1/16; its values are not all the same sign.
  const conv = tensorView(layout, a, "conv.weight");
  assert.ok(conv.some((x) => x > 0.05) && conv.some((x) => x < -0.05));

  assert.deepEqual(initParams(layout, 42), a, "same seed, same values");
  const b = initParams(layout, 43);
  assert.notDeepEqual(b, a, "another seed, other values");
  // A tensor's values depend on its index and spec, not on the tensors after it.
  const firstOnly = initParams(makeLayout(SPECS.slice(0, 1)), 42);
  assert.deepEqual(firstOnly.subarray(0, 4096), a.subarray(0, 4096));
});

Deno.test("initParams writes into a given (shared) vector and checks its length", () => {
  const layout = makeLayout(SPECS);
  const shared = makeFlat(layout, true);
  assert.ok(shared.buffer instanceof SharedArrayBuffer);
  shared.fill(9);
  const out = initParams(layout, 42, shared);
  assert.equal(out, shared);
  assert.deepEqual(Array.from(shared), Array.from(initParams(layout, 42)));
  assert.throws(() => initParams(layout, 1, new Float32Array(5)), /out has 5 floats/);
});

Deno.test("initParamsOrthogonal: orthonormal rows (or columns) times the gain, zero biases, seeded", () => {
  const layout = makeLayout([
    { name: "conv.weight", shape: [4, 2, 3, 3], fanIn: 18 }, // 4 × 18: orthonormal rows
    { name: "conv.bias", shape: [4], fanIn: 18 },
    { name: "tall.weight", shape: [12, 5], fanIn: 5, gain: 1 }, // 12 × 5: orthonormal columns
    { name: "policy.weight", shape: [3, 12], fanIn: 12, initScale: 0.01, gain: 0.01 },
    { name: "policy.bias", shape: [3], fanIn: 12, initScale: 0 },
  ]);
  const p = initParamsOrthogonal(layout, 7);
  const view = (name: string) => tensorView(layout, p, name);
  const dot = (t: string, cols: number, a: number, b: number, byRow: boolean) => {
    const v = view(t);
    const rows = v.length / cols;
    let d = 0;
    if (byRow) { for (let j = 0; j < cols; j++) d += v[a * cols + j] * v[b * cols + j]; }
    else for (let i = 0; i < rows; i++) d += v[i * cols + a] * v[i * cols + b];
    return d;
  };
  for (let a = 0; a < 4; a++) {
    for (let b = 0; b < 4; b++) {
      assert.ok(Math.abs(dot("conv.weight", 18, a, b, true) - (a === b ? 2 : 0)) < 1e-5);
    }
  }
  for (let a = 0; a < 5; a++) {
    for (let b = 0; b < 5; b++) {
      assert.ok(Math.abs(dot("tall.weight", 5, a, b, false) - (a === b ? 1 : 0)) < 1e-5);
    }
  }
  assert.ok(Math.abs(dot("policy.weight", 12, 1, 1, true) - 1e-4) < 1e-8);
  assert.ok(view("conv.bias").every((x) => x === 0));
  assert.ok(view("policy.bias").every((x) => x === 0));
  assert.deepEqual(initParamsOrthogonal(layout, 7), p);
  assert.notDeepEqual(initParamsOrthogonal(layout, 8), p);
  assert.deepEqual(initParamsBy("orthogonal", layout, 7), p);
  assert.deepEqual(initParamsBy("uniform", layout, 7), initParams(layout, 7));
});
