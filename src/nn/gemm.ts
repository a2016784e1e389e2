/**
 * The CPU fast path under the twins: {@link gemm}, a drop-in for the twin {@link matmul}
 * (same arguments, same result up to f32 rounding) that runs a WebAssembly SIMD kernel.
 *
 * The kernel (`scripts/gen_wasm.ts`, embedded in `wasm/gemm_wasm.ts`) packs A into panels of
 * 4 rows and B into panels of 8 columns, k in blocks of {@link GEMM_KC}, and holds a 4×8
 * tile of C in eight f32x4 registers: about ten times the scalar TypeScript loop on the same
 * core. The module using `f32x4.relaxed_madd` runs where `WebAssembly.validate` accepts it,
 * the plain SIMD one otherwise, and the twin where neither compiles (reported once, with the
 * reason, through `console.warn`).
 *
 * Data is copied into the module's memory and C back out: a copy is a memcpy, a small part
 * of a product's time once it is worth the kernel ({@link GEMM_MIN_WORK}); below that, and
 * for float64 arrays (the gradient checks) the twin runs. The memory grows to the largest
 * product seen and is then reused: no allocation per call. Each isolate (each A3C worker)
 * instantiates its own module.
 *
 * @module
 */

import { checkMatmulDims, matmul, type MatmulOptions } from "./linear.ts";
import { checkShape, type Floats } from "./types.ts";
import {
  GEMM_NR,
  GEMM_RESERVED_BYTES,
  GEMM_WASM_RELAXED,
  GEMM_WASM_SIMD,
} from "./wasm/gemm_wasm.ts";

/** Which code runs a {@link gemm}: the relaxed-SIMD kernel, the plain-SIMD one, or the twin. */
export type GemmBackend = "wasm-relaxed-simd" | "wasm-simd" | "ts";

/** Depth of a k block: packed panels of A (4×KC) and B (KC×8) stay in the L1 cache. */
export const GEMM_KC = 256;

/** Rows of A per kernel call: a block of MC×KC floats (128 KiB) stays in the L2 cache. */
export const GEMM_MC = 128;

/**
 * Products with fewer multiply-adds m·n·k than this run on the twin: below it the copies
 * and the call cost more than the kernel saves.
 */
export const GEMM_MIN_WORK = 4096;

interface Kernel {
  readonly backend: GemmBackend;
  readonly memory: WebAssembly.Memory;
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
    packB: e.packB as Kernel["packB"],
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

function ensure(k: Kernel, bytes: number): Float32Array {
  if (bytes > k.memory.buffer.byteLength) {
    const pages = Math.ceil((bytes - k.memory.buffer.byteLength) / 65536);
    k.memory.grow(pages);
  }
  if (f32.buffer !== k.memory.buffer) f32 = new Float32Array(k.memory.buffer);
  return f32;
}

const up = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * C[m,n] = alpha·op(A)·op(B) (+ C when accumulate), exactly the contract of the twin
 * {@link matmul}, on the WebAssembly SIMD kernel when it is available, the arrays are
 * `Float32Array`s and the product is big enough ({@link GEMM_MIN_WORK}); on the twin
 * otherwise. Sums run in a different order than the twin's: results agree to f32 rounding.
 */
export function gemm(
  a: Floats,
  b: Floats,
  c: Floats,
  m: number,
  n: number,
  k: number,
  opts: MatmulOptions = {},
): void {
  const kern = forced === "ts" ? null : load();
  if (
    !kern || m * n * k < GEMM_MIN_WORK || !(a instanceof Float32Array) ||
    !(b instanceof Float32Array) || !(c instanceof Float32Array)
  ) {
    matmul(a, b, c, m, n, k, opts);
    return;
  }
  const { transA = false, transB = false, accumulate = false, alpha = 1 } = opts;
  checkMatmulDims("gemm", m, n, k);
  checkShape("gemm", transA ? "a (transposed)" : "a", a.length, transA ? [k, m] : [m, k]);
  checkShape("gemm", transB ? "b (transposed)" : "b", b.length, transB ? [n, k] : [k, n]);
  checkShape("gemm", "c", c.length, [m, n]);
  const kc = Math.min(k, GEMM_KC);
  // The kernel reads its left operand in place and packs its right one. With m < n it
  // computes Cᵀ = op(B)ᵀ·op(A)ᵀ instead, storing C transposed: the smaller operand is the
  // one packed (the fc layer at small batches packs the batch, not the 2592×256 weights).
  const swap = m < n;
  const [km, kn] = swap ? [n, m] : [m, n]; // the kernel's rows and columns
  // Byte offsets, 16-aligned: [edge tile | A | B | C | packed B].
  const offA = up(GEMM_RESERVED_BYTES, 16);
  const offB = up(offA + 4 * m * k, 16);
  const offC = up(offB + 4 * k * n, 16);
  const offPB = up(offC + 4 * m * n, 16);
  const end = offPB + 4 * up(kn, GEMM_NR) * kc;
  if (end > 2 ** 31) {
    matmul(a, b, c, m, n, k, opts); // beyond what i32 addressing in the kernel can reach
    return;
  }
  const mem = ensure(kern, end);
  mem.set(a, offA >> 2);
  mem.set(b, offB >> 2);
  if (accumulate) mem.set(c, offC >> 2);
  // A(i, kk) at offA + 4·(i·aRs + kk·aCs); B(kk, j) at offB + 4·(kk·bRs + j·bCs).
  const aRs = transA ? 1 : k, aCs = transA ? m : 1;
  const bRs = transB ? 1 : n, bCs = transB ? k : 1;
  // The kernel's left operand L(i, kk) at offL + 4·(i·lRs + kk·lCs), its right R(kk, j) at
  // offR + 4·(kk·rRs + j·rCs): op(A), op(B) as they are, or op(B)ᵀ, op(A)ᵀ when swapped.
  const [offL, lRs, lCs] = swap ? [offB, bCs, bRs] : [offA, aRs, aCs];
  const [offR, rRs, rCs] = swap ? [offA, aCs, aRs] : [offB, bRs, bCs];
  const tc = swap ? 1 : 0;
  for (let k0 = 0; k0 < k; k0 += GEMM_KC) {
    const kb = Math.min(GEMM_KC, k - k0);
    const over = k0 === 0 && !accumulate ? 1 : 0;
    kern.packB(offR, rRs, rCs, k0, kb, kn, offPB);
    for (let i0 = 0; i0 < km; i0 += GEMM_MC) {
      const mb = Math.min(GEMM_MC, km - i0);
      const l0 = offL + 4 * (i0 * lRs + k0 * lCs);
      const c0 = offC + 4 * (swap ? i0 : i0 * n);
      kern.kernel(l0, lRs, lCs, offPB, c0, n, tc, mb, kn, kb, over, alpha);
    }
  }
  c.set(mem.subarray(offC >> 2, (offC >> 2) + m * n));
}
