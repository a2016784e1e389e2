import assert from "node:assert/strict";
import {
  columnSum,
  linearBackward,
  linearForward,
  matmul,
  type MatmulOptions,
} from "../../src/nn/linear.ts";
import {
  chooseMatmulPath,
  type MatmulPath,
  recordColumnSum,
  recordLinearBackward,
  recordLinearForward,
  recordMatmul,
} from "../../src/nn/linear_gpu.ts";
import { createStorageBuffer, readFloats } from "../../src/gpu/buffers.ts";
import { runPlan } from "../../src/gpu/plan.ts";
import { assertClose, dot, gpuTest, numericGradient, randomArray } from "../util.ts";

/** The textbook triple loop, in float64, as the independent reference of `matmul`. */
function naiveMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let kk = 0; kk < k; kk++) {
        const av = transA ? a[kk * m + i] : a[i * k + kk];
        const bv = transB ? b[j * k + kk] : b[kk * n + j];
        s += av * bv;
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

const COMBOS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

for (const [transA, transB] of COMBOS) {
  Deno.test(`matmul twin transA=${transA} transB=${transB} matches the naive loop`, () => {
    const [m, n, k] = [7, 9, 5];
    const a = randomArray(m * k, 1);
    const b = randomArray(k * n, 2);
    const expected = naiveMatmul(a, b, m, n, k, transA, transB);
    const c = randomArray(m * n, 3); // garbage that must be overwritten
    matmul({ a, b, c, m, n, k, transA, transB });
    assertClose(c, expected, { atol: 1e-12, rtol: 1e-12, name: "c" });
    // accumulate with alpha: c0 + 0.5·AB
    const c0 = randomArray(m * n, 4);
    const acc = c0.slice();
    matmul({ a, b, c: acc, m, n, k, transA, transB, accumulate: true, alpha: 0.5 });
    assertClose(acc, c0.map((v, i) => v + 0.5 * expected[i]), {
      atol: 1e-12,
      rtol: 1e-12,
      name: "accumulated c",
    });
  });
}

Deno.test("columnSum twin sums rows, with and without accumulate", () => {
  const x = randomArray(5 * 3, 5);
  const out = new Float64Array([10, 20, 30]);
  columnSum(x, out, 5, 3, true);
  for (let j = 0; j < 3; j++) {
    let s = (j + 1) * 10;
    for (let r = 0; r < 5; r++) s += x[r * 3 + j];
    assert.ok(Math.abs(out[j] - s) < 1e-12, `column ${j}`);
  }
  columnSum(x, out, 5, 3);
  assert.ok(Math.abs(out[0] - x[0] - x[3] - x[6] - x[9] - x[12]) < 1e-12);
});

for (const accumulate of [false, true]) {
  Deno.test(`linearBackward matches finite differences (float64, accumulate=${accumulate})`, () => {
    const [batch, inF, outF] = [3, 5, 4];
    const x = randomArray(batch * inF, 10);
    const w = randomArray(outF * inF, 11);
    const b = randomArray(outF, 12);
    const wl = randomArray(batch * outF, 13); // the loss is dot(wl, y), so dy = wl
    const y = new Float64Array(batch * outF);
    const loss = () => {
      linearForward({ x, w, b, y, batch, inFeatures: inF, outFeatures: outF });
      return dot(wl, y);
    };
    const ndx = numericGradient(loss, x);
    const ndw = numericGradient(loss, w);
    const ndb = numericGradient(loss, b);
    // Start from known values when accumulating; the expected result is start + gradient.
    const dx0 = accumulate ? randomArray(batch * inF, 14) : new Float64Array(batch * inF);
    const dw0 = accumulate ? randomArray(outF * inF, 15) : new Float64Array(outF * inF);
    const db0 = accumulate ? randomArray(outF, 16) : new Float64Array(outF);
    const dx = accumulate ? dx0.slice() : randomArray(batch * inF, 17);
    const dw = accumulate ? dw0.slice() : randomArray(outF * inF, 18);
    const db = accumulate ? db0.slice() : randomArray(outF, 19);
    linearBackward({
      x,
      w,
      dy: wl,
      dx,
      dw,
      db,
      batch,
      inFeatures: inF,
      outFeatures: outF,
      accumulate,
    });
    const tol = { atol: 1e-7, rtol: 1e-6 };
    assertClose(dx, ndx.map((g, i) => g + dx0[i]), { ...tol, name: "dx" });
    assertClose(dw, ndw.map((g, i) => g + dw0[i]), { ...tol, name: "dw" });
    assertClose(db, ndb.map((g, i) => g + db0[i]), { ...tol, name: "db" });
  });
}

Deno.test("linearBackward skips absent outputs", () => {
  const x = randomArray(6, 1);
  const w = randomArray(6, 2);
  const dy = randomArray(4, 3);
  const dw = new Float64Array(6);
  linearBackward({ x, w, dy, dw, batch: 2, inFeatures: 3, outFeatures: 2 });
  assertClose(dw, naiveMatmul(dy, x, 2, 3, 2, true, false), { name: "dw" });
});

Deno.test("shape errors name the kernel, the argument and the shapes", () => {
  assert.throws(
    () =>
      matmul({
        a: new Float32Array(6),
        b: new Float32Array(5),
        c: new Float32Array(4),
        m: 2,
        n: 2,
        k: 3,
      }),
    /matmul: b has 5 elements, expected shape \[3, 2\]/,
  );
  assert.throws(
    () =>
      matmul({
        a: new Float32Array(6),
        b: new Float32Array(7),
        c: new Float32Array(4),
        m: 2,
        n: 2,
        k: 3,
        transA: true,
        transB: true,
      }),
    /matmul: b \(transposed\) has 7 elements, expected shape \[2, 3\]/,
  );
  assert.throws(
    () =>
      matmul({
        a: new Float32Array(5),
        b: new Float32Array(6),
        c: new Float32Array(4),
        m: 2,
        n: 2,
        k: 3,
      }),
    /matmul: a has 5 elements, expected shape \[2, 3\]/,
  );
  assert.throws(
    () =>
      matmul({
        a: new Float32Array(0),
        b: new Float32Array(0),
        c: new Float32Array(0),
        m: 0,
        n: 2,
        k: 3,
      }),
    /matmul: m must be a positive integer, got 0/,
  );
  assert.throws(
    () =>
      linearForward({
        x: new Float32Array(6),
        w: new Float32Array(7),
        b: null,
        y: new Float32Array(4),
        batch: 2,
        inFeatures: 3,
        outFeatures: 2,
      }),
    /linear\.forward: w has 7 elements, expected shape \[2, 3\]/,
  );
  assert.throws(
    () =>
      linearBackward({
        x: new Float32Array(6),
        w: new Float32Array(6),
        dy: new Float32Array(4),
        db: new Float32Array(3),
        batch: 2,
        inFeatures: 3,
        outFeatures: 2,
      }),
    /linear\.backward: db has 3 elements, expected shape \[2\]/,
  );
});

Deno.test("chooseMatmulPath takes the big kernel only for large products", () => {
  assert.equal(chooseMatmulPath(130, 131, 67), "small"); // 26% of 2×2 padded tiles useful
  assert.equal(chooseMatmulPath(256, 256, 256), "big");
  assert.equal(chooseMatmulPath(4096, 4096, 4096), "big");
  assert.equal(chooseMatmulPath(8192, 256, 2592), "big");
  assert.equal(chooseMatmulPath(8192, 4, 256), "small");
  assert.equal(chooseMatmulPath(8192, 256, 8), "small");
});

// ---- GPU ---------------------------------------------------------------------------------

/** Runs recordMatmul on fresh buffers and returns C; `c0` is C's initial content. */
async function gpuMatmul(
  gpu: Parameters<Parameters<typeof gpuTest>[1]>[0],
  a: Float32Array,
  b: Float32Array,
  c0: Float32Array,
  m: number,
  n: number,
  k: number,
  opts: MatmulOptions & { path: MatmulPath; bias?: Float32Array },
): Promise<Float32Array> {
  const cb = createStorageBuffer(gpu, c0);
  const plan = await recordMatmul(gpu, {
    a: createStorageBuffer(gpu, a),
    b: createStorageBuffer(gpu, b),
    c: cb,
    m,
    n,
    k,
    ...opts,
    bias: opts.bias ? createStorageBuffer(gpu, opts.bias) : undefined,
  });
  await runPlan(gpu, plan);
  return await readFloats(gpu, cb, 0, m * n);
}

// Tolerance: f32 sums of ≤ 67 products of values in [-1, 1] in a different order than the
// twin's (tiles, fma): a few ulps of the partial sums.
const GPU_TOL = { atol: 2e-5, rtol: 1e-4 };

for (const path of ["small", "big"] as const) {
  // Not multiples of 16 or 128: every edge of the tiles is exercised. Big: 2×2 workgroups.
  const [m, n, k] = path === "big" ? [130, 131, 67] : [37, 29, 45];
  for (const [transA, transB] of COMBOS) {
    gpuTest(`matmul ${path} transA=${transA} transB=${transB} matches the twin`, async (gpu) => {
      const a = new Float32Array(randomArray(m * k, 20));
      const b = new Float32Array(randomArray(k * n, 21));
      const expected = new Float32Array(m * n);
      matmul({ a, b, c: expected, m, n, k, transA, transB });
      const got = await gpuMatmul(gpu, a, b, new Float32Array(randomArray(m * n, 22)), m, n, k, {
        transA,
        transB,
        path,
      });
      assertClose(got, expected, { ...GPU_TOL, name: `${path} c` });
    });
  }
  gpuTest(`matmul ${path}: bias, accumulate and alpha match the twin`, async (gpu) => {
    const a = new Float32Array(randomArray(m * k, 23));
    const b = new Float32Array(randomArray(n * k, 24));
    const bias = new Float32Array(randomArray(n, 25));
    const c0 = new Float32Array(randomArray(m * n, 26));
    const expected = c0.slice();
    matmul({ a, b, c: expected, m, n, k, transB: true, accumulate: true, alpha: -0.5 });
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expected[i * n + j] += bias[j];
    const got = await gpuMatmul(gpu, a, b, c0, m, n, k, {
      transB: true,
      accumulate: true,
      alpha: -0.5,
      bias,
      path,
    });
    assertClose(got, expected, { ...GPU_TOL, name: `${path} c` });
  });
}

gpuTest("linear forward and backward match the twin, at a 256-byte offset", async (gpu) => {
  const [batch, inF, outF] = [19, 23, 11];
  const x = new Float32Array(randomArray(batch * inF, 30));
  const w = new Float32Array(randomArray(outF * inF, 31));
  const b = new Float32Array(randomArray(outF, 32));
  const dy = new Float32Array(randomArray(batch * outF, 33));
  // Parameters in one flat buffer: w at float 64, b at float 64 + 320 (multiples of 64).
  const wOff = 64;
  const bOff = wOff + Math.ceil((outF * inF) / 64) * 64;
  const flat = new Float32Array(bOff + 64);
  flat.set(w, wOff);
  flat.set(b, bOff);
  const params = createStorageBuffer(gpu, flat);
  const wr = { buffer: params, offset: wOff * 4 };
  const br = { buffer: params, offset: bOff * 4, size: outF * 4 };
  const y = new Float32Array(batch * outF);
  linearForward({ x, w, b, y, batch, inFeatures: inF, outFeatures: outF });
  for (const accumulate of [false, true]) {
    const start = { dx: randomArray(batch * inF, 34), dw: randomArray(outF * inF, 35) };
    const db0 = new Float32Array(randomArray(outF, 36));
    const dx = new Float32Array(start.dx); // overwritten unless accumulating
    const dw = new Float32Array(start.dw);
    const db = db0.slice();
    linearBackward({ x, w, dy, dx, dw, db, batch, inFeatures: inF, outFeatures: outF, accumulate });
    const xb = createStorageBuffer(gpu, x);
    const yb = createStorageBuffer(gpu, batch * outF * 4);
    const dyb = createStorageBuffer(gpu, dy);
    const dxb = createStorageBuffer(gpu, new Float32Array(start.dx));
    const dwb = createStorageBuffer(gpu, new Float32Array(start.dw));
    const dbb = createStorageBuffer(gpu, db0);
    const dims = { batch, inFeatures: inF, outFeatures: outF };
    await runPlan(gpu, [
      ...await recordLinearForward(gpu, { x: xb, w: wr, b: br, y: yb, ...dims }),
      ...await recordLinearBackward(gpu, {
        x: xb,
        w: wr,
        dy: dyb,
        dx: dxb,
        dw: dwb,
        db: dbb,
        accumulate,
        ...dims,
      }),
    ]);
    assertClose(await readFloats(gpu, yb), y, { ...GPU_TOL, name: "y" });
    assertClose(await readFloats(gpu, dxb), dx, { ...GPU_TOL, name: `dx acc=${accumulate}` });
    assertClose(await readFloats(gpu, dwb), dw, { ...GPU_TOL, name: `dw acc=${accumulate}` });
    assertClose(await readFloats(gpu, dbb), db, { ...GPU_TOL, name: `db acc=${accumulate}` });
  }
});

gpuTest("column sum over many rows (two passes) matches the twin", async (gpu) => {
  const [rows, cols] = [600, 70]; // 3 chunks of 256 rows, 2 column groups of 64
  const x = new Float32Array(randomArray(rows * cols, 40));
  const out0 = new Float32Array(randomArray(cols, 41));
  for (const accumulate of [false, true]) {
    const expected = out0.slice();
    columnSum(x, expected, rows, cols, accumulate);
    const outb = createStorageBuffer(gpu, out0);
    const plan = await recordColumnSum(gpu, {
      x: createStorageBuffer(gpu, x),
      out: outb,
      rows,
      cols,
      accumulate,
    });
    assert.equal(plan.length, 2);
    await runPlan(gpu, plan);
    assertClose(await readFloats(gpu, outb), expected, { atol: 1e-4, rtol: 1e-5, name: "sum" });
  }
});

gpuTest("GPU recorders refuse wrong shapes, bad offsets and oversize bindings", async (gpu) => {
  const small = createStorageBuffer(gpu, 6 * 4);
  await assert.rejects(
    recordMatmul(gpu, { a: small, b: small, c: small, m: 2, n: 3, k: 4 }),
    /matmul: a holds 6 floats, expected shape \[2, 4\] \(8 floats\)/,
  );
  await assert.rejects(
    recordLinearForward(gpu, {
      x: small,
      w: small,
      y: small,
      batch: 3,
      inFeatures: 2,
      outFeatures: 5,
    }),
    /linear\.forward: w holds 6 floats, expected shape \[5, 2\]/,
  );
  await assert.rejects(
    recordLinearBackward(gpu, {
      x: small,
      w: small,
      dy: small,
      db: { buffer: small, offset: 256 },
      batch: 3,
      inFeatures: 2,
      outFeatures: 2,
    }),
    /linear\.backward: db holds 0 floats \(from byte offset 256 of a 24-byte buffer\), expected shape \[2\]/,
  );
  await assert.rejects(
    recordMatmul(gpu, { a: { buffer: small, offset: 4 }, b: small, c: small, m: 1, n: 1, k: 1 }),
    /matmul: a starts at byte offset 4, not a multiple of .*minStorageBufferOffsetAlignment/,
  );
  // A tensor larger than one storage binding: refused before any buffer is touched.
  const rows = Math.floor(gpu.limits.maxStorageBufferBindingSize / 4 / 1024) + 1;
  await assert.rejects(
    recordMatmul(gpu, {
      a: createStorageBuffer(gpu, rows * 4),
      b: createStorageBuffer(gpu, 1024 * 4),
      c: small,
      m: rows,
      n: 1024,
      k: 1,
    }),
    /matmul c \[\d+, 1024\].*exceeds this device's maxStorageBufferBindingSize/,
  );
  assert.throws(
    () => createStorageBuffer(gpu, gpu.limits.maxStorageBufferBindingSize + 4, "big c"),
    /big c: \d+ bytes exceeds this device's max(StorageBufferBindingSize|BufferSize)/,
  );
});
