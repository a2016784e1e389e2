/**
 * The CPU fast path under the twins: {@link gemm}, a drop-in for the twin {@link matmul}
 * (same arguments, same result up to f32 rounding) that runs a WebAssembly SIMD kernel.
 *
 * The kernel (`scripts/gen_wasm.ts`, embedded in `wasm/gemm_wasm.ts`) reads A in place (four
 * rows at a time), packs B into panels of 8 columns, k in blocks of {@link GEMM_KC}, and holds
 * a 4×8 tile of C in eight f32x4 registers: about ten times the scalar TypeScript loop on the
 * same core. When m < n it computes Cᵀ = op(B)ᵀ·op(A)ᵀ with a transposed store, so that the
 * smaller operand is the packed one. The module using `f32x4.relaxed_madd` runs where
 * `WebAssembly.validate` accepts it, the plain SIMD one otherwise, and the twin where neither
 * compiles (reported once, with the reason, through `console.warn`).
 *
 * {@link conv2dForwardWasm} and {@link conv2dBackwardWasm} run the convolutions on the same
 * module: each sample is copied in, its patches (im2col) written and its input gradient
 * scattered back (col2im) by the module next to the GEMM, instead of by the TypeScript loops.
 *
 * Data is copied into the module's memory and C back out: a copy is a memcpy, a small part
 * of a product's time once it is worth the kernel ({@link GEMM_MIN_WORK}); below that, and
 * for float64 arrays (the gradient checks) the twin runs. The memory grows to the largest
 * product seen and is then reused: no allocation per call. Each isolate (each A3C worker)
 * instantiates its own module.
 *
 * @module
 */

import {
  type Conv2dBackwardArgs,
  type Conv2dForwardArgs,
  conv2dOutputSize,
  type Conv2dShape,
} from "./conv2d.ts";
import { checkMatmulDims, matmul, type MatmulArgs } from "./linear.ts";
import { checkShape, type Floats } from "./types.ts";
import {
  GEMM_NR,
  GEMM_RESERVED_BYTES,
  GEMM_WASM_RELAXED,
  GEMM_WASM_SIMD,
} from "./wasm/gemm_wasm.ts";

/** Which code runs a {@link gemm}: the relaxed-SIMD kernel, the plain-SIMD one, or the twin. */
export type GemmBackend = "wasm-relaxed-simd" | "wasm-simd" | "ts";

/** Depth of a k block: a 4×KC strip of A and a packed KC×8 panel of B stay in the L1 cache. */
export const GEMM_KC = 256;

/** Rows of A per kernel call: a block of MC×KC floats (128 KiB) stays in the L2 cache. */
export const GEMM_MC = 128;

/**
 * Products with fewer multiply-adds m·n·k than this run on the twin: measured 2026-12-02, the
 * two take about 1.5 µs at 8×8×8 and the kernel is twice as fast at 16×16×4 (its copies and
 * calls are a fixed cost of about a microsecond).
 */
export const GEMM_MIN_WORK = 1024;

interface Kernel {
  readonly backend: GemmBackend;
  readonly memory: WebAssembly.Memory;
  readonly im2colU8: (
    x: number,
    C: number,
    H: number,
    W: number,
    KH: number,
    KW: number,
    S: number,
    P: number,
    OH: number,
    OW: number,
    dst: number,
    scale: number,
  ) => void;
  readonly im2colF32: Kernel["im2colU8"];
  readonly col2imF32: Kernel["im2colU8"];
  readonly gemv: (
    l: number,
    lrs: number,
    x: number,
    c: number,
    rows: number,
    k: number,
    over: number,
    alpha: number,
  ) => void;
  readonly packB: (
    b: number,
    rs: number,
    cs: number,
    k0: number,
    kc: number,
    n: number,
    dst: number,
  ) => void;
  readonly kernel: (
    a: number,
    rs: number,
    cs: number,
    pb: number,
    c: number,
    ldc: number,
    tc: number,
    m: number,
    n: number,
    kc: number,
    over: number,
    alpha: number,
  ) => void;
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function instantiate(bytes: Uint8Array<ArrayBuffer>, backend: GemmBackend): Kernel {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const e = instance.exports as Record<string, unknown>;
  return {
    backend,
    memory: e.memory as WebAssembly.Memory,
    gemv: e.gemv as Kernel["gemv"],
    packB: e.packB as Kernel["packB"],
    im2colU8: e.im2colU8 as Kernel["im2colU8"],
    im2colF32: e.im2colF32 as Kernel["im2colU8"],
    col2imF32: e.col2imF32 as Kernel["im2colU8"],
    kernel: e.kernel as Kernel["kernel"],
  };
}

let loaded: Kernel | null | undefined; // undefined: not tried yet; null: unavailable
let forced: GemmBackend | undefined;
/** Kernels forced by name (the benchmark's plain-SIMD rows), compiled on first use. */
const named = new Map<GemmBackend, Kernel | null>();

/** A candidate WebAssembly module of the GEMM: the backend it provides and its bytes. */
export interface GemmModule {
  /** The backend this module is. */
  readonly backend: Exclude<GemmBackend, "ts">;
  /** The module, base64. */
  readonly base64: string;
}

/** The embedded modules, best first: relaxed SIMD, then plain SIMD. */
export const GEMM_MODULES: readonly GemmModule[] = [
  { backend: "wasm-relaxed-simd", base64: GEMM_WASM_RELAXED },
  { backend: "wasm-simd", base64: GEMM_WASM_SIMD },
];

/** What {@link compileGemm} found: the first module that compiled, and why the others did not. */
export interface GemmCompileResult {
  /** The backend that compiled, `"ts"` when none did. */
  readonly backend: GemmBackend;
  /** One line per module refused (and "no WebAssembly" when the runtime has none). */
  readonly errors: readonly string[];
}

/**
 * Validates and instantiates the first of `modules` this engine accepts (the embedded ones
 * by default), collecting the reason each earlier one was refused.
 */
export function compileGemm(modules: readonly GemmModule[] = GEMM_MODULES): GemmCompileResult {
  const { backend, errors } = compile(modules);
  return { backend, errors };
}

function compile(
  modules: readonly GemmModule[],
): { backend: GemmBackend; errors: string[]; kernel: Kernel | null } {
  const errors: string[] = [];
  if (typeof WebAssembly !== "object") {
    return { backend: "ts", errors: ["no WebAssembly in this runtime"], kernel: null };
  }
  for (const { backend, base64 } of modules) {
    try {
      const bytes = decode(base64);
      if (!WebAssembly.validate(bytes)) {
        errors.push(`${backend}: WebAssembly.validate refused the module`);
        continue;
      }
      return { backend, errors, kernel: instantiate(bytes, backend) };
    } catch (err) {
      errors.push(`${backend}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { backend: "ts", errors, kernel: null };
}

/** The message {@link gemm} reports (once) when no WebAssembly module compiles. */
export function gemmUnavailableMessage(errors: readonly string[]): string {
  return `gemm: the WebAssembly SIMD kernel is unavailable, the TypeScript loops run (${
    errors.join("; ")
  })`;
}

/**
 * The kernel to run: the forced one when {@link setGemmBackend} named a WebAssembly module
 * (null if it does not compile here), else the best module this engine accepts, compiled
 * once; null (reported once) when none does.
 */
function load(): Kernel | null {
  if (forced !== undefined && forced !== "ts") {
    if (!named.has(forced)) {
      named.set(forced, compile(GEMM_MODULES.filter((m) => m.backend === forced)).kernel);
    }
    return named.get(forced)!;
  }
  if (loaded !== undefined) return loaded;
  const result = compile(GEMM_MODULES);
  loaded = result.kernel;
  if (!loaded) console.warn(gemmUnavailableMessage(result.errors));
  return loaded;
}

/**
 * The code {@link gemm} runs in this isolate: the forced choice of {@link setGemmBackend}, else
 * the best WebAssembly module that compiles here, else `"ts"`.
 */
export function gemmBackend(): GemmBackend {
  if (forced === "ts") return "ts";
  return load()?.backend ?? "ts";
}

/**
 * Forces the twin (`"ts"`) or one WebAssembly module (the twin runs if that one does not
 * compile here), or lets {@link gemm} pick the best again (`undefined`). For the benchmark's
 * side-by-side rows and the tests.
 */
export function setGemmBackend(backend: GemmBackend | undefined): void {
  forced = backend;
}

/** Scratch layout in the module's memory, grown (never shrunk) to the largest product seen. */
let f32: Float32Array = new Float32Array(0);
let u8: Uint8Array = new Uint8Array(0);

function ensure(k: Kernel, bytes: number): Float32Array {
  if (bytes > k.memory.buffer.byteLength) {
    const pages = Math.ceil((bytes - k.memory.buffer.byteLength) / 65536);
    k.memory.grow(pages);
  }
  if (f32.buffer !== k.memory.buffer) {
    f32 = new Float32Array(k.memory.buffer);
    u8 = new Uint8Array(k.memory.buffer);
  }
  return f32;
}

const up = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * C[m,n] = alpha·op(A)·op(B) (+ C when accumulate), exactly the contract of the twin
 * {@link matmul}, on the WebAssembly SIMD kernel when it is available, the arrays are
 * `Float32Array`s and the product is big enough ({@link GEMM_MIN_WORK}); on the twin
 * otherwise. Sums run in a different order than the twin's: results agree to f32 rounding.
 */
export function gemm(args: MatmulArgs): void {
  const { a, b, c, m, n, k } = args;
  const kern = forced === "ts" ? null : load();
  if (
    !kern || m * n * k < GEMM_MIN_WORK || !(a instanceof Float32Array) ||
    !(b instanceof Float32Array) || !(c instanceof Float32Array)
  ) {
    matmul(args);
    return;
  }
  const { transA = false, transB = false, accumulate = false, alpha = 1 } = args;
  checkMatmulDims("gemm", m, n, k);
  checkShape("gemm", transA ? "a (transposed)" : "a", a.length, transA ? [k, m] : [m, k]);
  checkShape("gemm", transB ? "b (transposed)" : "b", b.length, transB ? [n, k] : [k, n]);
  checkShape("gemm", "c", c.length, [m, n]);
  const L = layout(m, n, k, 0);
  if (L.end > 2 ** 31) {
    matmul(args); // beyond what i32 addressing in the kernel can reach
    return;
  }
  const mem = ensure(kern, L.end);
  mem.set(a, L.offA >> 2);
  mem.set(b, L.offB >> 2);
  if (accumulate) mem.set(c, L.offC >> 2);
  run(kern, L, m, n, k, transA, transB, accumulate, alpha);
  c.set(mem.subarray(L.offC >> 2, (L.offC >> 2) + m * n));
}

/** Byte offsets in the module's memory, 16-aligned: [edge tile | A | B | C | packed B | X]. */
interface Layout {
  readonly offA: number;
  readonly offB: number;
  readonly offC: number;
  readonly offPB: number;
  /** `xBytes` bytes for the u8 input of the convolutions. */
  readonly offX: number;
  readonly end: number;
}

function layout(m: number, n: number, k: number, xBytes: number): Layout {
  const offA = up(GEMM_RESERVED_BYTES, 16);
  const offB = up(offA + 4 * m * k, 16);
  const offC = up(offB + 4 * k * n, 16);
  const offPB = up(offC + 4 * m * n, 16);
  const offX = up(offPB + 4 * up(Math.min(m, n), GEMM_NR) * Math.min(k, GEMM_KC), 16);
  return { offA, offB, offC, offPB, offX, end: offX + xBytes };
}

/** The product on operands already in the module's memory at `L`'s offsets. */
function run(
  kern: Kernel,
  L: Layout,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
  alpha: number,
): void {
  // The kernel reads its left operand in place and packs its right one. With m < n it
  // computes Cᵀ = op(B)ᵀ·op(A)ᵀ instead, storing C transposed: the smaller operand is the
  // one packed (the fc layer at small batches packs the batch, not the 2592×256 weights).
  const swap = m < n;
  const [km, kn] = swap ? [n, m] : [m, n]; // the kernel's rows and columns
  // A(i, kk) at offA + 4·(i·aRs + kk·aCs); B(kk, j) at offB + 4·(kk·bRs + j·bCs).
  const aRs = transA ? 1 : k, aCs = transA ? m : 1;
  const bRs = transB ? 1 : n, bCs = transB ? k : 1;
  // The kernel's left operand L(i, kk) at offL + 4·(i·lRs + kk·lCs), its right R(kk, j) at
  // offR + 4·(kk·rRs + j·rCs): op(A), op(B) as they are, or op(B)ᵀ, op(A)ᵀ when swapped.
  const [offL, lRs, lCs] = swap ? [L.offB, bCs, bRs] : [L.offA, aRs, aCs];
  const [offR, rRs, rCs] = swap ? [L.offA, aCs, aRs] : [L.offB, bRs, bCs];
  const tc = swap ? 1 : 0;
  if (kn === 1 && lCs === 1 && rRs === 1) {
    // One column (a batch-1 linear layer): C's kn = 1 entries are contiguous either way.
    kern.gemv(offL, lRs, offR, L.offC, km, k, accumulate ? 0 : 1, alpha);
    return;
  }
  for (let k0 = 0; k0 < k; k0 += GEMM_KC) {
    const kb = Math.min(GEMM_KC, k - k0);
    const over = k0 === 0 && !accumulate ? 1 : 0;
    kern.packB(offR, rRs, rCs, k0, kb, kn, L.offPB);
    for (let i0 = 0; i0 < km; i0 += GEMM_MC) {
      const mb = Math.min(GEMM_MC, km - i0);
      const l0 = offL + 4 * (i0 * lRs + k0 * lCs);
      const c0 = L.offC + 4 * (swap ? i0 : i0 * n);
      kern.kernel(l0, lRs, lCs, L.offPB, c0, n, tc, mb, kn, kb, over, alpha);
    }
  }
}

/** Byte offsets of a convolution's arrays in the module's memory. */
interface ConvLayout {
  readonly offW: number;
  readonly offY: number;
  readonly offCols: number;
  readonly offDW: number;
  readonly offDC: number;
  readonly offPB: number;
  readonly offX: number;
  readonly offDX: number;
  readonly end: number;
}

/**
 * The plan of a convolution on the fast path, or null (the caller runs the twin): the kernel
 * compiled, float32 arrays (or u8 pixels), enough work, within i32 addressing. Throws on bad
 * shapes like the twin.
 */
function convPlan(
  kernel: string,
  s: Conv2dShape,
  x: Floats | Uint8Array,
  w: Floats,
  y: Floats,
  withDx: boolean,
) {
  const { outHeight: OH, outWidth: OW } = conv2dOutputSize(s);
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, outChannels: O } = s;
  const K = C * s.kernelH * s.kernelW;
  checkShape(kernel, "x", x.length, [B, C, H, W]);
  checkShape(kernel, "w", w.length, [O, C, s.kernelH, s.kernelW]);
  checkShape(kernel, "y", y.length, [B, O, OH, OW]);
  const kern = forced === "ts" ? null : load();
  if (!kern || x instanceof Float64Array || !(w instanceof Float32Array)) return null;
  if (!(y instanceof Float32Array)) return null;
  const plane = OH * OW;
  if (O * plane * K < GEMM_MIN_WORK) return null;
  const n = C * H * W;
  const panel = (m: number, nn: number, k: number) =>
    4 * up(Math.min(m, nn), GEMM_NR) * Math.min(k, GEMM_KC);
  const offW = up(GEMM_RESERVED_BYTES, 16);
  const offY = up(offW + 4 * O * K, 16);
  const offCols = up(offY + 4 * O * plane, 16);
  const offDW = up(offCols + 4 * K * plane, 16);
  const offDC = up(offDW + 4 * O * K, 16);
  const offPB = up(offDC + (withDx ? 4 * K * plane : 0), 16);
  const pb = Math.max(panel(O, plane, K), panel(O, K, plane), panel(K, plane, O));
  const offX = up(offPB + pb, 16);
  const offDX = up(offX + (x instanceof Uint8Array ? n : 4 * n), 16);
  // 16 bytes of slack: im2colU8's vector loads may read up to 15 bytes past the input.
  const end = offDX + (withDx ? 4 * n : 0) + 16;
  if (end > 2 ** 31) return null;
  const L: ConvLayout = { offW, offY, offCols, offDW, offDC, offPB, offX, offDX, end };
  return { kern, L, OH, OW, K, plane, n, mem: ensure(kern, end) };
}

/** A product's operands and result at these byte offsets (see {@link run}). */
function at(offA: number, offB: number, offC: number, offPB: number): Layout {
  return { offA, offB, offC, offPB, offX: 0, end: 0 };
}

/** Copies sample b of x in and writes its patches (im2col; u8 read as value/255) at offCols. */
function im2colSample(
  kern: Kernel,
  L: ConvLayout,
  s: Conv2dShape,
  x: Float32Array | Uint8Array,
  b: number,
  n: number,
): void {
  const { outHeight: OH, outWidth: OW } = conv2dOutputSize(s);
  const { inChannels: C, inHeight: H, inWidth: W, kernelH, kernelW, stride, padding } = s;
  if (x instanceof Uint8Array) {
    u8.set(x.subarray(b * n, (b + 1) * n), L.offX);
    kern.im2colU8(L.offX, C, H, W, kernelH, kernelW, stride, padding, OH, OW, L.offCols, 1 / 255);
  } else {
    f32.set(x.subarray(b * n, (b + 1) * n), L.offX >> 2);
    kern.im2colF32(L.offX, C, H, W, kernelH, kernelW, stride, padding, OH, OW, L.offCols, 1);
  }
}

/**
 * conv2d forward on the fast path, im2col included: per sample, x_b is copied into the
 * module's memory, its patches written there by the module (`im2colU8`, `im2colF32`), and
 * y_b = w·cols computed by the GEMM; the contract of the twin `conv2dForward` (a u8 input
 * reads value/255). Returns false, writing nothing, when the fast path cannot take it (float64
 * arrays, a forced twin, too little work): the caller runs the twin.
 */
export function conv2dForwardWasm(s: Conv2dShape, args: Conv2dForwardArgs): boolean {
  const { x, w, b: bias, y } = args;
  const plan = convPlan("conv2d.forward", s, x, w, y, false);
  if (!plan || x instanceof Float64Array || !(y instanceof Float32Array)) return false;
  const { kern, L, K, plane, n, mem } = plan;
  const O = s.outChannels;
  mem.set(w, L.offW >> 2);
  const y0 = L.offY >> 2;
  for (let b = 0; b < s.batch; b++) {
    im2colSample(kern, L, s, x, b, n);
    run(kern, at(L.offW, L.offCols, L.offY, L.offPB), O, plane, K, false, false, false, 1);
    const yb = b * O * plane;
    y.set(mem.subarray(y0, y0 + O * plane), yb);
    if (bias) {
      for (let o = 0; o < O; o++) {
        const bo = bias[o];
        for (let i = yb + o * plane; i < yb + (o + 1) * plane; i++) y[i] += bo;
      }
    }
  }
  return true;
}

/**
 * The gradients of {@link conv2dForwardWasm} on the fast path, the contract of the twin
 * `conv2dBackward`: dw (+)= Σ_b dy_b·cols_bᵀ (summed over the batch in the module's memory),
 * dx (+)= col2im(wᵀ·dy_b) (the scatter in the module too: `col2imF32`), db (+)= Σ dy. Returns
 * false, writing nothing, when the fast path cannot take it (a u8 input asked for dx among
 * them: the twin throws the error).
 */
export function conv2dBackwardWasm(s: Conv2dShape, args: Conv2dBackwardArgs): boolean {
  const { x, w, dy, dx, dw, db, accumulate = false } = args;
  if (dx && (x instanceof Uint8Array || !(dx instanceof Float32Array))) return false;
  if (dw && !(dw instanceof Float32Array)) return false;
  const plan = convPlan("conv2d.backward", s, x, w, dy, Boolean(dx));
  if (!plan || x instanceof Float64Array || !(dy instanceof Float32Array)) return false;
  const { kern, L, OH, OW, K, plane, n, mem } = plan;
  const { batch: B, outChannels: O, inChannels: C, inHeight: H, inWidth: W } = s;
  if (dx) checkShape("conv2d.backward", "dx", dx.length, [B, C, H, W]);
  if (dw) checkShape("conv2d.backward", "dw", dw.length, [w.length]);
  if (db) checkShape("conv2d.backward", "db", db.length, [O]);
  if (dw && accumulate) mem.set(dw, L.offDW >> 2);
  if (dx) mem.set(w, L.offW >> 2);
  const dx0 = L.offDX >> 2;
  for (let b = 0; b < B; b++) {
    mem.set(dy.subarray(b * O * plane, (b + 1) * O * plane), L.offY >> 2);
    if (dw) {
      // dw [O, K] = dy_b [O, plane] · (cols_b [K, plane])ᵀ, summed over b in place.
      im2colSample(kern, L, s, x as Float32Array | Uint8Array, b, n);
      const over = !accumulate && b === 0;
      run(kern, at(L.offY, L.offCols, L.offDW, L.offPB), O, K, plane, false, true, !over, 1);
    }
    if (dx) {
      // dcols [K, plane] = wᵀ [K, O] · dy_b [O, plane], scattered onto dx_b.
      run(kern, at(L.offW, L.offY, L.offDC, L.offPB), K, plane, O, true, false, false, 1);
      if (accumulate) mem.set(dx.subarray(b * n, (b + 1) * n), dx0);
      else mem.fill(0, dx0, dx0 + n);
      const { kernelH, kernelW, stride, padding } = s;
      kern.col2imF32(L.offDX, C, H, W, kernelH, kernelW, stride, padding, OH, OW, L.offDC, 1);
      dx.set(mem.subarray(dx0, dx0 + n), b * n);
    }
  }
  if (dw) dw.set(mem.subarray(L.offDW >> 2, (L.offDW >> 2) + O * K));
  if (db) {
    if (!accumulate) db.fill(0);
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < O; o++) {
        let sum = 0;
        const base = (b * O + o) * plane;
        for (let i = base; i < base + plane; i++) sum += dy[i];
        db[o] += sum;
      }
    }
  }
  return true;
}
