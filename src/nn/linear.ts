/**
 * General matrix multiply and the fully connected (linear) layer: the TypeScript twin of
 * `shaders/matmul.wgsl`, the CPU backend and the reference of the GPU tests.
 *
 * Matrices are row-major flat arrays. Weights follow PyTorch: `w: [outFeatures, inFeatures]`,
 * `b: [outFeatures]`, so `y = x·wᵀ + b`. The GPU kernels tile the same sums; the twin loops
 * in i-k-j order (the inner loop runs along a contiguous row of B and C) or, when B is
 * transposed, as dot products of two rows, with row offsets hoisted and no allocation.
 *
 * @module
 */

import { checkPositiveInt, checkShape, type Floats } from "./types.ts";

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** A is stored `[k, m]` and used transposed. Default false (A is `[m, k]`). */
  transA?: boolean;
  /** B is stored `[n, k]` and used transposed. Default false (B is `[k, n]`). */
  transB?: boolean;
  /** Add the product into C instead of overwriting it. Default false. */
  accumulate?: boolean;
  /** Scale of the product. Default 1. */
  alpha?: number;
}

/**
 * Arguments of {@link matmul}: the operands and the fields of matmul.wgsl's `Params` (m, n,
 * k, accumulate, alpha), named so that swapped sizes do not pass silently.
 */
export interface MatmulArgs extends MatmulOptions {
  /** A: `[m, k]`, or `[k, m]` when transA. */
  a: Floats;
  /** B: `[k, n]`, or `[n, k]` when transB. */
  b: Floats;
  /** C: `[m, n]`, written (or added to when accumulate). Must not alias A or B. */
  c: Floats;
  /** Rows of C. */
  m: number;
  /** Columns of C. */
  n: number;
  /** Inner dimension. */
  k: number;
}

/**
 * A matrix product with the contract of {@link matmul}. The layers take one as an optional
 * `matmul` argument (default: the twin {@link matmul}); the CPU backend passes the
 * WebAssembly fast path `gemm` of `gemm.ts`.
 */
export type MatmulFn = (args: MatmulArgs) => void;

/** Throws a RangeError naming the kernel unless m, n, k are positive integers. */
export function checkMatmulDims(kernel: string, m: number, n: number, k: number): void {
  checkPositiveInt(kernel, "m", m);
  checkPositiveInt(kernel, "n", n);
  checkPositiveInt(kernel, "k", k);
}

/**
 * C[m,n] = alpha·op(A)·op(B) (+ C when accumulate); op transposes when transA/transB.
 * A is `[m, k]` (or `[k, m]` when transA), B is `[k, n]` (or `[n, k]` when transB),
 * C is `[m, n]`. C must not alias A or B.
 */
export function matmul(args: MatmulArgs): void {
  const { a, b, c, m, n, k, transA = false, transB = false, accumulate = false, alpha = 1 } = args;
  checkMatmulDims("matmul", m, n, k);
  checkShape("matmul", transA ? "a (transposed)" : "a", a.length, transA ? [k, m] : [m, k]);
  checkShape("matmul", transB ? "b (transposed)" : "b", b.length, transB ? [n, k] : [k, n]);
  checkShape("matmul", "c", c.length, [m, n]);
  // A(i, kk) is a[i*aRow + kk*aCol]; B(kk, j) is b[kk*bRow + j*bCol].
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  if (!transB) {
    // i-k-j: C row i += A(i,kk) · B row kk, both rows contiguous; four k at a time, so
    // each element of the C row is loaded and stored once per four products.
    const k4 = k - (k % 4);
    for (let i = 0; i < m; i++) {
      const cRow = i * n;
      if (!accumulate) c.fill(0, cRow, cRow + n);
      const aBase = i * aRow;
      let kk = 0;
      for (; kk < k4; kk += 4) {
        const a0 = alpha * a[aBase + kk * aCol];
        const a1 = alpha * a[aBase + (kk + 1) * aCol];
        const a2 = alpha * a[aBase + (kk + 2) * aCol];
        const a3 = alpha * a[aBase + (kk + 3) * aCol];
        const b0 = kk * n;
        const b1 = b0 + n;
        const b2 = b1 + n;
        const b3 = b2 + n;
        for (let j = 0; j < n; j++) {
          c[cRow + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
        }
      }
      for (; kk < k; kk++) {
        const aik = alpha * a[aBase + kk * aCol];
        const bRow = kk * n;
        for (let j = 0; j < n; j++) c[cRow + j] += aik * b[bRow + j];
      }
    }
    return;
  }
  // B transposed: C(i,j) is the dot product of A row i and the contiguous b row j; four
  // columns at a time share the loads of A.
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const cRow = i * n;
    const aBase = i * aRow;
    let j = 0;
    for (; j < n4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let kk = 0; kk < k; kk++) {
        const av = a[aBase + kk * aCol];
        s0 += av * b[b0 + kk];
        s1 += av * b[b1 + kk];
        s2 += av * b[b2 + kk];
        s3 += av * b[b3 + kk];
      }
      if (accumulate) {
        c[cRow + j] += alpha * s0;
        c[cRow + j + 1] += alpha * s1;
        c[cRow + j + 2] += alpha * s2;
        c[cRow + j + 3] += alpha * s3;
      } else {
        c[cRow + j] = alpha * s0;
        c[cRow + j + 1] = alpha * s1;
        c[cRow + j + 2] = alpha * s2;
        c[cRow + j + 3] = alpha * s3;
      }
    }
    for (; j < n; j++) {
      const bRow = j * k;
      let sum = 0;
      for (let kk = 0; kk < k; kk++) sum += a[aBase + kk * aCol] * b[bRow + kk];
      c[cRow + j] = accumulate ? c[cRow + j] + alpha * sum : alpha * sum;
    }
  }
}

/**
 * Column sums: out[j] = Σ_r x[r, j] (+ out[j] when accumulate), x: `[rows, cols]`,
 * out: `[cols]`. Twin of the `colsum` kernel (the bias gradient).
 */
export function columnSum(
  x: Floats,
  out: Floats,
  rows: number,
  cols: number,
  accumulate = false,
): void {
  checkPositiveInt("colsum", "rows", rows);
  checkPositiveInt("colsum", "cols", cols);
  checkShape("colsum", "x", x.length, [rows, cols]);
  checkShape("colsum", "out", out.length, [cols]);
  if (!accumulate) out.fill(0);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let j = 0; j < cols; j++) out[j] += x[row + j];
  }
}

/** Arguments of {@link linearForward} (the GPU recorder's `LinearForwardGpuArgs` by the same names). */
export interface LinearForwardArgs {
  /** Input, `[batch, inFeatures]`. */
  x: Floats;
  /** Weights, `[outFeatures, inFeatures]`. */
  w: Floats;
  /** Bias, `[outFeatures]`; none when null/undefined. */
  b?: Floats | null;
  /** Output, `[batch, outFeatures]` (overwritten). */
  y: Floats;
  /** Rows of x and y. */
  batch: number;
  /** Columns of x. */
  inFeatures: number;
  /** Columns of y (rows of w). */
  outFeatures: number;
  /** The matrix product to use (default the twin {@link matmul}). */
  matmul?: MatmulFn;
}

/**
 * Linear layer forward: y[batch, out] = x[batch, in]·wᵀ + b.
 *
 * @example
 * ```ts
 * import { linearForward } from "@webgpu-rl/core/nn";
 * const y = new Float32Array(2);
 * linearForward({
 *   x: new Float32Array([1, 2, 3]),
 *   w: new Float32Array([1, 0, 0, 0, 1, 1]),
 *   b: new Float32Array([0, 1]),
 *   y,
 *   batch: 1,
 *   inFeatures: 3,
 *   outFeatures: 2,
 * }); // y = [1, 6]
 * ```
 */
export function linearForward(args: LinearForwardArgs): void {
  const { x, w, y, batch, inFeatures, outFeatures } = args;
  const b = args.b ?? null;
  const mm = args.matmul ?? matmul;
  checkLinearShapes("linear.forward", batch, inFeatures, outFeatures, { x, w, b, y });
  mm({ a: x, b: w, c: y, m: batch, n: outFeatures, k: inFeatures, transB: true });
  if (b) {
    for (let r = 0; r < batch; r++) {
      const row = r * outFeatures;
      for (let j = 0; j < outFeatures; j++) y[row + j] += b[j];
    }
  }
}

/** Arguments of {@link linearBackward}. */
export interface LinearBackwardArgs {
  /** Forward input, `[batch, inFeatures]`. */
  x: Floats;
  /** Weights, `[outFeatures, inFeatures]`. */
  w: Floats;
  /** Gradient of the loss with respect to y, `[batch, outFeatures]`. */
  dy: Floats;
  /** Gradient with respect to x, `[batch, inFeatures]`; skipped when null/undefined. */
  dx?: Floats | null;
  /** Gradient with respect to w, `[outFeatures, inFeatures]`; skipped when null/undefined. */
  dw?: Floats | null;
  /** Gradient with respect to b, `[outFeatures]`; skipped when null/undefined. */
  db?: Floats | null;
  /** Rows of x and dy. */
  batch: number;
  /** Columns of x. */
  inFeatures: number;
  /** Columns of dy (rows of w). */
  outFeatures: number;
  /** Add into dx, dw, db instead of overwriting them. Default false. */
  accumulate?: boolean;
  /** The matrix product to use (default the twin {@link matmul}). */
  matmul?: MatmulFn;
}

/**
 * Gradients of {@link linearForward}: dx = dy·w, dw = dyᵀ·x, db = Σ_batch dy. Each output is
 * optional; `accumulate` adds into the given outputs instead of overwriting them.
 */
export function linearBackward(args: LinearBackwardArgs): void {
  const { x, w, dy, dx, dw, db, batch, inFeatures, outFeatures, accumulate = false } = args;
  const mm = args.matmul ?? matmul;
  checkLinearShapes("linear.backward", batch, inFeatures, outFeatures, { x, w, dy, dx, dw, db });
  if (dx) mm({ a: dy, b: w, c: dx, m: batch, n: inFeatures, k: outFeatures, accumulate });
  if (dw) {
    mm({ a: dy, b: x, c: dw, m: outFeatures, n: inFeatures, k: batch, transA: true, accumulate });
  }
  if (db) columnSum(dy, db, batch, outFeatures, accumulate);
}

/**
 * Checks the dimensions and the lengths of the linear-layer arrays that are present
 * (x, dx: `[batch, in]`; y, dy: `[batch, out]`; w, dw: `[out, in]`; b, db: `[out]`).
 */
export function checkLinearShapes(
  kernel: string,
  batch: number,
  inFeatures: number,
  outFeatures: number,
  arrays: Record<string, { length: number } | null | undefined>,
): void {
  checkPositiveInt(kernel, "batch", batch);
  checkPositiveInt(kernel, "inFeatures", inFeatures);
  checkPositiveInt(kernel, "outFeatures", outFeatures);
  const shapes: Record<string, number[]> = {
    x: [batch, inFeatures],
    dx: [batch, inFeatures],
    y: [batch, outFeatures],
    dy: [batch, outFeatures],
    w: [outFeatures, inFeatures],
    dw: [outFeatures, inFeatures],
    b: [outFeatures],
    db: [outFeatures],
  };
  for (const [name, arr] of Object.entries(arrays)) {
    if (arr) checkShape(kernel, name, arr.length, shapes[name]);
  }
}
