/**
 * Generates `src/nn/wasm/gemm_wasm.ts`: the WebAssembly SIMD GEMM of the CPU fast path
 * (`src/nn/gemm.ts`), written here as WAT text by a small generator (the register tile is a
 * parameter), assembled with the npm package `wabt` and embedded as base64, twice: with
 * `f32x4.relaxed_madd` (fused multiply-add where the CPU has it) and with plain
 * `f32x4.mul` + `f32x4.add` for engines whose validator refuses relaxed SIMD. The same file
 * embeds the optimizer's module ({@link optimWat}, `src/nn/optim_wasm.ts`), in the same two
 * flavours, each for a private and for a shared (imported) memory.
 *
 * Why WAT from a generator rather than C or AssemblyScript: the kernel is three short loops
 * whose speed comes from the register tile (MR × 4·NV accumulators held in v128 locals, the
 * loads of A broadcast, two B vectors per k), which WAT states exactly, with no compiler
 * between the source and the instructions to second-guess; the generator unrolls the tile
 * (a 4×8 tile uses 11 of x64's 16 xmm registers; a 6×8 one spilled and ran at less than
 * half the speed when measured), and the whole toolchain is one pinned npm package that
 * Deno fetches (no clang, wasm-ld or asc to install). The package's users need neither: the
 * module is embedded, so importing it from JSR asks for no permission and no build step.
 *
 * Usage: `deno task gen` to write, `deno run -A scripts/gen_wasm.ts --check` to fail when the
 * generated module is stale (the check task runs it).
 *
 * @module
 */

import wabtInit from "wabt";

/** Rows of the register tile (A values broadcast per k). */
export const MR = 4;
/** f32x4 vectors per tile row: the tile is MR × (4·NV). */
export const NV = 2;
const NR = 4 * NV;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The WAT of the GEMM module with an MR × 4·NV tile; `relaxed` uses f32x4.relaxed_madd. */
export function gemmWat(relaxed: boolean, mr = MR, nv = NV): string {
  const nr = 4 * nv;
  const fma = (a: string, b: string, c: string) =>
    relaxed ? `(f32x4.relaxed_madd ${a} ${b} ${c})` : `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`;
  const acc = (r: number, v: number) => `$acc${r}_${v}`;
  const accLocals = range(mr).flatMap((r) => range(nv).map((v) => `(local ${acc(r, v)} v128)`));
  const bLocals = range(nv).map((v) => `(local $b${v} v128)`);
  const zero = range(mr).flatMap((r) =>
    range(nv).map((v) => `(local.set ${acc(r, v)} (v128.const i32x4 0 0 0 0))`)
  );
  const step = [
    ...range(nv).map((v) => `(local.set $b${v} (v128.load offset=${16 * v} (local.get $b)))`),
    ...range(mr).flatMap((r) => [
      r === 0
        ? `(local.set $av (v128.load32_splat (local.get $a)))`
        : `(local.set $av (v128.load32_splat (i32.add (local.get $a) (local.get $o${r}))))`,
      ...range(nv).map((v) =>
        `(local.set ${acc(r, v)} ${
          fma("(local.get $av)", `(local.get $b${v})`, `(local.get ${acc(r, v)})`)
        })`
      ),
    ]),
  ];
  // The second k step of the unrolled pair: B one packed row (4·NR bytes) further on.
  const step2 = step.map((line) =>
    line.replace(
      /\(v128\.load offset=(\d+) \(local\.get \$b\)\)/,
      (_, o) => `(v128.load offset=${Number(o) + 4 * nr} (local.get $b))`,
    )
  );
  const scaled = (r: number, v: number) => `(f32x4.mul (local.get ${acc(r, v)}) (local.get $al))`;
  // Full tile: straight into C (row stride ldc floats), overwriting or adding.
  const storeFull = range(mr).flatMap((r) => [
    `(local.set $cp (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (i32.add (local.get $i0) (i32.const ${r})) (local.get $ldc)) (local.get $j0)) (i32.const 2))))`,
    ...range(nv).map((v) =>
      `(if (local.get $over)
        (then (v128.store offset=${16 * v} (local.get $cp) ${scaled(r, v)}))
        (else (v128.store offset=${16 * v} (local.get $cp)
          (f32x4.add (v128.load offset=${16 * v} (local.get $cp)) ${scaled(r, v)}))))`
    ),
  ]);
  // Full tile into a transposed C (element (i, j) at c + 4·(j·ldc + i)): each 4×4 block of the
  // tile transposed with shuffles, so a column of the tile is one f32x4 store.
  const lanes = (l: number[]) =>
    l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]).join(" ");
  const shuffle = (a: string, b: string, l: number[]) => `(i8x16.shuffle ${lanes(l)} ${a} ${b})`;
  const storeFullT = mr !== 4 ? null : range(nv).flatMap((v) => {
    const x = (r: number) => `(local.get ${acc(r, v)})`;
    const lo = [0, 4, 1, 5], hi = [2, 6, 3, 7], first = [0, 1, 4, 5], second = [2, 3, 6, 7];
    const cols = [
      shuffle(shuffle(x(0), x(1), lo), shuffle(x(2), x(3), lo), first),
      shuffle(shuffle(x(0), x(1), lo), shuffle(x(2), x(3), lo), second),
      shuffle(shuffle(x(0), x(1), hi), shuffle(x(2), x(3), hi), first),
      shuffle(shuffle(x(0), x(1), hi), shuffle(x(2), x(3), hi), second),
    ];
    const scale = range(mr).map((r) => `(local.set ${acc(r, v)} ${scaled(r, v)})`);
    return [
      ...scale,
      ...cols.flatMap((col, j) => [
        `(local.set $cp (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (i32.add (local.get $j0) (i32.const ${
          4 * v + j
        })) (local.get $ldc)) (local.get $i0)) (i32.const 2))))`,
        `(local.set $av ${col})`,
        `(if (local.get $over)
        (then (v128.store (local.get $cp) (local.get $av)))
        (else (v128.store (local.get $cp) (f32x4.add (v128.load (local.get $cp)) (local.get $av)))))`,
      ]),
    ];
  });
  // Edge tile: to the scratch tile at address 0, then the valid part element by element (C's
  // element (i0 + r, j0 + jj) at c + i·rstep + j·cstep: ldc·4 and 4, or 4 and ldc·4 when tc).
  const storeEdge = [
    ...range(mr).flatMap((r) =>
      range(nv).map((v) => `(v128.store offset=${16 * (r * nv + v)} (i32.const 0) ${scaled(r, v)})`)
    ),
    `(local.set $r (i32.const 0))
    (loop $rows
      (local.set $cp (i32.add (local.get $c) (i32.add
        (i32.mul (i32.add (local.get $i0) (local.get $r)) (local.get $rstep))
        (i32.mul (local.get $j0) (local.get $cstep)))))
      (local.set $t (i32.shl (i32.mul (local.get $r) (i32.const ${nr})) (i32.const 2)))
      (local.set $jj (i32.const 0))
      (loop $cols
        (f32.store (local.get $cp)
          (f32.add (f32.load (local.get $t))
            (if (result f32) (local.get $over) (then (f32.const 0)) (else (f32.load (local.get $cp))))))
        (local.set $cp (i32.add (local.get $cp) (local.get $cstep)))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $jj) (local.get $cols))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $r) (local.get $rows))))`,
  ];
  // packB: panel jp holds B(k0 + kk, jp·NR + jj) at [kk·NR + jj], zero past column n.
  const packBElems = range(nr).map((jj) =>
    `(f32.store offset=${4 * jj} (local.get $dst)
      (if (result f32) (i32.lt_u (i32.add (local.get $j0) (i32.const ${jj})) (local.get $n))
        (then (f32.load (i32.add (local.get $src) (i32.mul (local.get $cs4) (i32.const ${jj})))))
        (else (f32.const 0))))`
  );
  const packBFull = range(nr).map((jj) =>
    `(f32.store offset=${4 * jj} (local.get $dst)
      (f32.load (i32.add (local.get $src) (i32.mul (local.get $cs4) (i32.const ${jj})))))`
  );
  const packBVec = range(nv).map((v) =>
    `(v128.store offset=${16 * v} (local.get $dst) (v128.load offset=${16 * v} (local.get $src)))`
  );
  return `;; Generated by scripts/gen_wasm.ts: f32 GEMM, ${mr}x${nr} register tile${
    relaxed ? ", relaxed SIMD" : ""
  }.
(module
  (memory (export "memory") 1)

${patchWat("u8")}
${patchWat("f32")}
${patchWat("col2im")}
  ;; C[i] = alpha·Σ_kk L(i, kk)·x[kk] (+ C[i] unless over) for i < rows: a matrix-vector
  ;; product, the GEMM of one row or one column (a batch-1 linear layer), where the kernel's
  ;; 8-column panel would run 8 times the work. Rows of L are contiguous, lrs floats apart;
  ;; x and C are contiguous. Eight floats a turn in two sums, then the rest one by one.
  (func (export "gemv") (param $l i32) (param $lrs i32) (param $x i32) (param $c i32)
    (param $rows i32) (param $k i32) (param $over i32) (param $alpha f32)
    (local $i i32) (local $p i32) (local $q i32) (local $end i32) (local $a0 v128) (local $a1 v128)
    (local $s f32)
    (local.set $i (i32.const 0))
    (block $done (loop $rowsl
      (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $p (i32.add (local.get $l) (i32.shl (i32.mul (local.get $i) (local.get $lrs)) (i32.const 2))))
      (local.set $q (local.get $x))
      (local.set $a0 (v128.const i32x4 0 0 0 0))
      (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $k) (i32.const -8)) (i32.const 2))))
      (block $d8 (loop $l8
        (br_if $d8 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a0 ${
    fma("(v128.load (local.get $p))", "(v128.load (local.get $q))", "(local.get $a0)")
  })
        (local.set $a1 ${
    fma(
      "(v128.load offset=16 (local.get $p))",
      "(v128.load offset=16 (local.get $q))",
      "(local.get $a1)",
    )
  })
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (local.set $q (i32.add (local.get $q) (i32.const 32)))
        (br $l8)))
      (local.set $a0 (f32x4.add (local.get $a0) (local.get $a1)))
      (local.set $s (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
        (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
      (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $k) (i32.const 7)) (i32.const 2))))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $p)) (f32.load (local.get $q)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (br $l1)))
      (local.set $s (f32.mul (local.get $s) (local.get $alpha)))
      (local.set $p (i32.add (local.get $c) (i32.shl (local.get $i) (i32.const 2))))
      (f32.store (local.get $p)
        (select (local.get $s) (f32.add (local.get $s) (f32.load (local.get $p))) (local.get $over)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowsl))))

  ;; Packs rows k0..k0+kc of B (element (kk, j) at b + 4·(kk·rs + j·cs)) into ceil(n/${nr})
  ;; panels of kc×${nr} floats at dst.
  (func (export "packB") (param $b i32) (param $rs i32) (param $cs i32) (param $k0 i32)
    (param $kc i32) (param $n i32) (param $dst i32)
    (local $j0 i32) (local $kk i32) (local $src i32) (local $cs4 i32) (local $rs4 i32) (local $full i32)
    (local.set $cs4 (i32.shl (local.get $cs) (i32.const 2)))
    (local.set $rs4 (i32.shl (local.get $rs) (i32.const 2)))
    (local.set $j0 (i32.const 0))
    (loop $panels
      (local.set $full (i32.le_u (i32.add (local.get $j0) (i32.const ${nr})) (local.get $n)))
      (local.set $src (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $rs))
        (i32.mul (local.get $j0) (local.get $cs))) (i32.const 2))))
      (local.set $kk (i32.const 0))
      (loop $ks
        (if (i32.and (local.get $full) (i32.eq (local.get $cs) (i32.const 1)))
          (then ${packBVec.join("\n            ")})
          (else (if (local.get $full)
            (then ${packBFull.join("\n              ")})
            (else ${packBElems.join("\n              ")}))))
        (local.set $src (i32.add (local.get $src) (local.get $rs4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const ${4 * nr})))
        (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
        (br_if $ks (i32.lt_u (local.get $kk) (local.get $kc))))
      (local.set $j0 (i32.add (local.get $j0) (i32.const ${nr})))
      (br_if $panels (i32.lt_u (local.get $j0) (local.get $n)))))

  ;; C[m, n] = alpha·A·Bp (+ C unless over): A(i, kk) at a + 4·(i·rs + kk·cs) read in place,
  ;; Bp packed by packB for the same kc; C's element (i, j) at c + 4·(i·ldc + j), or at
  ;; c + 4·(j·ldc + i) when tc (C transposed). Rows of A past m are never read: the row
  ;; offsets of an edge panel repeat its last row. Address 0..${4 * mr * nr} is the edge tile.
  (func (export "kernel") (param $a0 i32) (param $rs i32) (param $cs i32) (param $pb i32)
    (param $c i32) (param $ldc i32) (param $tc i32) (param $m i32) (param $n i32) (param $kc i32)
    (param $over i32) (param $alpha f32)
    (local $i0 i32) (local $j0 i32) (local $a i32) (local $b i32) (local $bp i32) (local $kk i32)
    (local $cp i32) (local $rows i32) (local $cols i32) (local $r i32) (local $jj i32) (local $t i32)
    (local $rs4 i32) (local $cs4 i32) (local $rstep i32) (local $cstep i32) ${
    range(mr).slice(1).map((r) => `(local $o${r} i32)`).join(" ")
  }
    (local $al v128) (local $av v128) ${bLocals.join(" ")}
    ${accLocals.join(" ")}
    (local.set $rs4 (i32.shl (local.get $rs) (i32.const 2)))
    (local.set $cs4 (i32.shl (local.get $cs) (i32.const 2)))
    (local.set $al (f32x4.splat (local.get $alpha)))
    (local.set $rstep (select (i32.const 4) (i32.shl (local.get $ldc) (i32.const 2)) (local.get $tc)))
    (local.set $cstep (select (i32.shl (local.get $ldc) (i32.const 2)) (i32.const 4) (local.get $tc)))
    (local.set $j0 (i32.const 0))
    (local.set $bp (local.get $pb))
    (loop $jpanels
      (local.set $i0 (i32.const 0))
      (loop $ipanels
        (local.set $rows (i32.sub (local.get $m) (local.get $i0)))
        (if (i32.gt_u (local.get $rows) (i32.const ${mr})) (then (local.set $rows (i32.const ${mr}))))
        ${
    range(mr).slice(1).map((r) =>
      `(local.set $o${r} (i32.mul (local.get $rs4) (select (i32.const ${r}) (i32.sub (local.get $rows) (i32.const 1)) (i32.lt_u (i32.const ${r}) (local.get $rows)))))`
    ).join("\n        ")
  }
        (local.set $a (i32.add (local.get $a0) (i32.mul (local.get $i0) (local.get $rs4))))
        ${zero.join("\n        ")}
        (local.set $b (local.get $bp))
        (if (i32.and (local.get $kc) (i32.const 1))
          (then
            ${step.join("\n            ")}
            (local.set $a (i32.add (local.get $a) (local.get $cs4)))
            (local.set $b (i32.add (local.get $b) (i32.const ${4 * nr})))))
        (local.set $kk (i32.shr_u (local.get $kc) (i32.const 1)))
        (if (local.get $kk) (then (loop $ks
          ${step.join("\n          ")}
          (local.set $a (i32.add (local.get $a) (local.get $cs4)))
          ${step2.join("\n          ")}
          (local.set $a (i32.add (local.get $a) (local.get $cs4)))
          (local.set $b (i32.add (local.get $b) (i32.const ${8 * nr})))
          (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
          (br_if $ks (local.get $kk)))))
        (local.set $cols (i32.sub (local.get $n) (local.get $j0)))
        (if (i32.gt_u (local.get $cols) (i32.const ${nr})) (then (local.set $cols (i32.const ${nr}))))
        (if (i32.and (i32.eq (local.get $rows) (i32.const ${mr})) (i32.eq (local.get $cols) (i32.const ${nr})))
          (then ${
    storeFullT
      ? `(if (local.get $tc)
            (then ${storeFullT.join("\n              ")})
            (else ${storeFull.join("\n              ")}))`
      : `(if (local.get $tc) (then ${storeEdge.join("\n")}) (else ${storeFull.join("\n")}))`
  })
          (else ${storeEdge.join("\n            ")}))
        (local.set $i0 (i32.add (local.get $i0) (i32.const ${mr})))
        (br_if $ipanels (i32.lt_u (local.get $i0) (local.get $m))))
      (local.set $bp (local.get $b))
      (local.set $j0 (i32.add (local.get $j0) (i32.const ${nr})))
      (br_if $jpanels (i32.lt_u (local.get $j0) (local.get $n)))))
)
`;
}

/**
 * The WAT of a patch walk over one sample x [C, H, W]: `u8` and `f32` are im2col (cols
 * [C·KH·KW, OH·OW] f32 at dst = scale·x at (c, oh·S + kh − P, ow·S + kw − P), 0 where that
 * reads padding), `col2im` its adjoint (dx at x += each cols entry read from it, f32). An
 * index below 0 is a large unsigned one: one compare checks both bounds; rows that read inside
 * the frame run unchecked, four pixels a turn.
 */
function patchWat(kind: "u8" | "f32" | "col2im"): string {
  const es = kind === "u8" ? 1 : 4;
  const name = { u8: "im2colU8", f32: "im2colF32", col2im: "col2imF32" }[kind];
  const read = (addr: string) =>
    kind === "u8"
      ? `(f32.mul (f32.convert_i32_u (i32.load8_u ${addr})) (local.get $scale))`
      : `(f32.mul (f32.load ${addr}) (local.get $scale))`;
  // One element: cols at dst + off <-> x at addr.
  const move = (addr: string, off: number) =>
    kind === "col2im"
      ? `(f32.store ${addr} (f32.add (f32.load ${addr}) (f32.load offset=${off} (local.get $dst))))`
      : `(f32.store offset=${off} (local.get $dst) ${read(addr)})`;
  const at = (k: number) =>
    k === 0 ? "(local.get $src)" : `(i32.add (local.get $src) (local.get $s${k}))`;
  const checked = kind === "col2im"
    ? `(if (i32.lt_u (local.get $iw) (local.get $W))
                    (then ${
      move(`(i32.add (local.get $row) (i32.mul (local.get $iw) (i32.const ${es})))`, 0)
    }))`
    : `(f32.store (local.get $dst)
                    (if (result f32) (i32.lt_u (local.get $iw) (local.get $W))
                      (then ${
      read(`(i32.add (local.get $row) (i32.mul (local.get $iw) (i32.const ${es})))`)
    })
                      (else (f32.const 0))))`;
  // u8 pixels at a stride S ≤ 5: four a turn from one 16-byte load (bytes 0, S, 2S, 3S picked
  // by a swizzle, widened to f32); it may read up to 15 bytes past the row, so the caller
  // leaves 16 bytes after the input. Then the scalar loop below does what is left.
  const vector4 = `(if (i32.le_u (local.get $S) (i32.const 5)) (then
                  (block $vdone (loop $vfour
                    (br_if $vdone (i32.lt_u (local.get $ow) (i32.const 4)))
                    (v128.store (local.get $dst) (f32x4.mul (f32x4.convert_i32x4_u
                      (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                        (i8x16.swizzle (v128.load (local.get $src)) (local.get $mask)))))
                      (local.get $vscale)))
                    (local.set $src (i32.add (local.get $src) (local.get $s4)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                    (local.set $ow (i32.sub (local.get $ow) (i32.const 4)))
                    (br $vfour)))))`;
  const vectorInit = kind === "u8"
    ? `(local.set $mask (i8x16.replace_lane 3 (i8x16.replace_lane 2 (i8x16.replace_lane 1
      (v128.const i8x16 0 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128)
      (local.get $S)) (i32.shl (local.get $S) (i32.const 1))) (i32.mul (local.get $S) (i32.const 3))))
    (local.set $vscale (f32x4.splat (local.get $scale)))`
    : "";
  const padRow = kind === "col2im"
    ? ""
    : `(memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $OW) (i32.const 2)))`;
  return `  ;; ${name}: see patchWat in scripts/gen_wasm.ts.
  (func (export "${name}") (param $x i32) (param $C i32) (param $H i32) (param $W i32)
    (param $KH i32) (param $KW i32) (param $S i32) (param $P i32) (param $OH i32) (param $OW i32)
    (param $dst i32) (param $scale f32)
    (local $c i32) (local $kh i32) (local $kw i32) (local $oh i32) (local $ow i32) (local $ih i32)
    (local $iw i32) (local $row i32) (local $src i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $s4 i32)
    (local $mask v128) (local $vscale v128)
    ${vectorInit}
    (local.set $s1 (i32.mul (local.get $S) (i32.const ${es})))
    (local.set $s2 (i32.shl (local.get $s1) (i32.const 1)))
    (local.set $s3 (i32.add (local.get $s2) (local.get $s1)))
    (local.set $s4 (i32.shl (local.get $s1) (i32.const 2)))
    (local.set $c (i32.const 0))
    (loop $cs
      (local.set $kh (i32.const 0))
      (loop $khs
        (local.set $kw (i32.const 0))
        (loop $kws
          (local.set $oh (i32.const 0))
          (loop $ohs
            (local.set $ih (i32.sub (i32.add (i32.mul (local.get $oh) (local.get $S)) (local.get $kh)) (local.get $P)))
            (local.set $row (i32.add (local.get $x) (i32.mul (i32.mul (i32.add (i32.mul (local.get $c) (local.get $H)) (local.get $ih)) (local.get $W)) (i32.const ${es}))))
            (local.set $iw (i32.sub (local.get $kw) (local.get $P)))
            (local.set $ow (local.get $OW))
            (if (i32.and (i32.lt_u (local.get $ih) (local.get $H))
                (i32.and (i32.ge_s (local.get $iw) (i32.const 0))
                  (i32.lt_s (i32.add (local.get $iw) (i32.mul (i32.sub (local.get $OW) (i32.const 1)) (local.get $S))) (local.get $W))))
              (then
                (local.set $src (i32.add (local.get $row) (i32.mul (local.get $iw) (i32.const ${es}))))
                ${kind === "u8" ? vector4 : ""}
                (block $done4 (loop $four
                  (br_if $done4 (i32.lt_u (local.get $ow) (i32.const 4)))
                  ${[0, 1, 2, 3].map((k) => move(at(k), 4 * k)).join("\n                  ")}
                  (local.set $src (i32.add (local.get $src) (local.get $s4)))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                  (local.set $ow (i32.sub (local.get $ow) (i32.const 4)))
                  (br $four)))
                (if (local.get $ow) (then (loop $rest
                  ${move("(local.get $src)", 0)}
                  (local.set $src (i32.add (local.get $src) (local.get $s1)))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                  (local.set $ow (i32.sub (local.get $ow) (i32.const 1)))
                  (br_if $rest (local.get $ow))))))
              (else (if (i32.lt_u (local.get $ih) (local.get $H))
                (then
                  (loop $ows
                    ${checked}
                    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                    (local.set $iw (i32.add (local.get $iw) (local.get $S)))
                    (local.set $ow (i32.sub (local.get $ow) (i32.const 1)))
                    (br_if $ows (local.get $ow))))
                (else
                  ${padRow}
                  (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $OW) (i32.const 2))))))))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br_if $ohs (i32.lt_u (local.get $oh) (local.get $OH))))
          (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
          (br_if $kws (i32.lt_u (local.get $kw) (local.get $KW))))
        (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
        (br_if $khs (i32.lt_u (local.get $kh) (local.get $KH))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $cs (i32.lt_u (local.get $c) (local.get $C)))))
`;
}

/**
 * The WAT of the optimizer module (`src/nn/optim_wasm.ts`; twin: `optimizerStep` in
 * `src/nn/optim.ts`): `sqnorm` (Σ x² in f64), `rmsprop` and `adam` over n floats at byte
 * addresses of an imported memory, f32x4 four elements a turn, the last n mod 4 one by one.
 * `shared` imports a shared memory (A3C's θ, g and gradients, updated in place by every
 * worker); otherwise a private one (the scratch the caller copies chunks through). `relaxed`
 * uses `relaxed_madd` where a product is added.
 */
export function optimWat(relaxed: boolean, shared: boolean): string {
  // One element-wise body, written once, emitted as f32x4 (v) and as scalar f32 (s).
  const ops = (t: "v" | "s") => {
    const T = t === "v" ? "f32x4" : "f32";
    const load = (a: string) =>
      `(${t === "v" ? "v128" : "f32"}.load (i32.add (local.get ${a}) (local.get $i)))`;
    const store = (a: string, x: string) =>
      `(${t === "v" ? "v128" : "f32"}.store (i32.add (local.get ${a}) (local.get $i)) ${x})`;
    const k = (name: string) => `(local.get $${t}${name})`; // a splat (v) or the param (s)
    const op = (o: string, ...xs: string[]) => `(${T}.${o} ${xs.join(" ")})`;
    const madd = (a: string, b: string, c: string) =>
      relaxed && t === "v" ? `(f32x4.relaxed_madd ${a} ${b} ${c})` : op("add", op("mul", a, b), c);
    const get = (x: string) => `(local.get $${t}${x})`;
    const set = (x: string, e: string) => `(local.set $${t}${x} ${e})`;
    return { load, store, k, op, madd, get, set };
  };
  // g ← αg + (1−α)d²; θ ← θ − η·d/√(g + ε), d = scale·Δθ.
  const rmsBody = (t: "v" | "s") => {
    const { load, store, k, op, madd, get, set } = ops(t);
    return [
      set("d", op("mul", load("$grad"), k("scale"))),
      set("m", madd(k("alpha"), load("$ms"), op("mul", k("oma"), op("mul", get("d"), get("d"))))),
      store("$ms", get("m")),
      store(
        "$p",
        op(
          "sub",
          load("$p"),
          op("div", op("mul", k("lr"), get("d")), op("sqrt", op("add", get("m"), k("eps")))),
        ),
      ),
    ];
  };
  // m ← β1m + (1−β1)d; v ← β2v + (1−β2)d²; θ ← θ − η·(m/c1)/(√(v/c2) + ε).
  const adamBody = (t: "v" | "s") => {
    const { load, store, k, op, madd, get, set } = ops(t);
    return [
      set("d", op("mul", load("$grad"), k("scale"))),
      set("m", madd(k("b1"), load("$m1"), op("mul", k("omb1"), get("d")))),
      set("v", madd(k("b2"), load("$m2"), op("mul", k("omb2"), op("mul", get("d"), get("d"))))),
      store("$m1", get("m")),
      store("$m2", get("v")),
      store(
        "$p",
        op(
          "sub",
          load("$p"),
          op(
            "div",
            op("mul", k("lr"), op("div", get("m"), k("c1"))),
            op("add", op("sqrt", op("div", get("v"), k("c2"))), k("eps")),
          ),
        ),
      ),
    ];
  };
  // ELU (alpha 1) in place: x > 0 ? x : expm1(x). expm1 for x in [−87, 0]: x = n·ln2 + r with
  // |r| ≤ ln2/2 (Cody–Waite: ln2 split so n·ln2hi is exact), expm1(r) by its Taylor series to
  // r⁷ (the next term is under 2⁻²⁴·|r|), then expm1(x) = 2ⁿ·expm1(r) + (2ⁿ − 1), exact near 0.
  // Below −87, 2ⁿ − 1 rounds to −1 as expm1 does in f32.
  const eluBody = (t: "v" | "s") => {
    const { load, store, op, madd, get, set } = ops(t);
    const c = (x: number) =>
      t === "v" ? `(v128.const f32x4 ${x} ${x} ${x} ${x})` : `(f32.const ${x})`;
    const horner = [1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2].reduce(
      (acc, k) => madd(get("r"), acc, c(k)),
      c(1 / 5040),
    );
    const twoN = t === "v"
      ? `(i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s ${
        get("n")
      }) (v128.const i32x4 127 127 127 127)) (i32.const 23))`
      : `(f32.reinterpret_i32 (i32.shl (i32.add (i32.trunc_sat_f32_s ${
        get("n")
      }) (i32.const 127)) (i32.const 23)))`;
    return [
      set("x", load("$p")),
      set("r", op("min", op("max", get("x"), c(-87)), c(0))),
      set("n", op("nearest", op("mul", get("r"), c(Math.LOG2E)))),
      set("r", madd(get("n"), c(-0.693359375), get("r"))),
      set("r", madd(get("n"), c(2.12194440e-4), get("r"))),
      // q = r + r²·(1/2 + r/6 + … + r⁵/5040)
      set("q", madd(op("mul", get("r"), get("r")), horner, get("r"))),
      set("s", twoN),
      set("q", madd(get("s"), get("q"), op("sub", get("s"), c(1)))),
      store(
        "$p",
        t === "v"
          ? `(v128.bitselect ${get("x")} ${get("q")} (f32x4.gt ${get("x")} ${c(0)}))`
          : `(select ${get("x")} ${get("q")} (f32.gt ${get("x")} ${c(0)}))`,
      ),
    ];
  };
  // Loops over byte offset $i: four floats a turn to n4 = 16·⌊n/4⌋, then one a turn to 4n.
  const loops = (body: (t: "v" | "s") => string[]) =>
    `(local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $d4 (loop $l4
      (br_if $d4 (i32.ge_u (local.get $i) (local.get $n4)))
      ${body("v").join("\n      ")}
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $l4)))
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $i) (local.get $n4)))
      ${body("s").join("\n      ")}
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l1)))`;
  const scalars = (names: string[]) => names.map((x) => `(param $s${x} f32)`).join(" ");
  const splats = (names: string[]) =>
    names.map((x) => `(local.set $v${x} (f32x4.splat (local.get $s${x})))`).join("\n    ");
  const vlocals = (names: string[]) => names.map((x) => `(local $v${x} v128)`).join(" ");
  const rmsK = ["scale", "lr", "alpha", "oma", "eps"];
  const adamK = ["scale", "lr", "b1", "omb1", "b2", "omb2", "c1", "c2", "eps"];
  const fma64 = (a: string, b: string, c: string) =>
    relaxed ? `(f64x2.relaxed_madd ${a} ${b} ${c})` : `(f64x2.add (f64x2.mul ${a} ${b}) ${c})`;
  // Σ x², eight floats a turn into four f64x2 sums (f32 squares are exact in f64, as in the twin).
  const sq = (acc: string, lanes: string) =>
    `(local.set ${acc} ${
      fma64(
        `(local.tee $w (f64x2.promote_low_f32x4 ${lanes}))`,
        "(local.get $w)",
        `(local.get ${acc})`,
      )
    })`;
  const hi = (x: string) => `(i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 ${x} ${x})`;
  return `;; Generated by scripts/gen_wasm.ts: optimizer steps, f32x4${
    relaxed ? ", relaxed SIMD" : ""
  }, ${shared ? "shared" : "private"} memory.
(module
  (import "env" "memory" (memory 1${shared ? " 65536 shared" : ""}))

  ;; Σ x[i]² over n floats at x, accumulated in f64.
  (func (export "sqnorm") (param $x i32) (param $n i32) (result f64)
    (local $end i32) (local $v v128) (local $w v128) (local $a0 v128) (local $a1 v128)
    (local $a2 v128) (local $a3 v128) (local $s f64) (local $f f64)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $d8 (loop $l8
      (br_if $d8 (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load (local.get $x)))
      ${sq("$a0", "(local.get $v)")}
      ${sq("$a1", hi("(local.get $v)"))}
      (local.set $v (v128.load offset=16 (local.get $x)))
      ${sq("$a2", "(local.get $v)")}
      ${sq("$a3", hi("(local.get $v)"))}
      (local.set $x (i32.add (local.get $x) (i32.const 32)))
      (br $l8)))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const 7)) (i32.const 2))))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $f (f64.promote_f32 (f32.load (local.get $x))))
      (local.set $s (f64.add (local.get $s) (f64.mul (local.get $f) (local.get $f))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (br $l1)))
    (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3))))
    (f64.add (local.get $s) (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0)))))

  ;; RMSProp (the A3C paper's form) over n floats: θ at p, g at ms, Δθ at grad.
  (func (export "rmsprop") (param $p i32) (param $ms i32) (param $grad i32) (param $n i32)
    ${scalars(rmsK)}
    (local $i i32) (local $n4 i32) (local $vd v128) (local $vm v128) (local $sd f32) (local $sm f32)
    ${vlocals(rmsK)}
    ${splats(rmsK)}
    ${loops(rmsBody)})

  ;; Adam over n floats: θ at p, m at m1, v at m2, Δθ at grad; c1, c2 the bias corrections.
  (func (export "adam") (param $p i32) (param $m1 i32) (param $m2 i32) (param $grad i32) (param $n i32)
    ${scalars(adamK)}
    (local $i i32) (local $n4 i32) (local $vd v128) (local $vm v128) (local $vv v128)
    (local $sd f32) (local $sm f32) (local $sv f32)
    ${vlocals(adamK)}
    ${splats(adamK)}
    ${loops(adamBody)})

  ;; ELU (alpha 1) in place over n floats at p: x > 0 ? x : expm1(x).
  (func (export "elu") (param $p i32) (param $n i32)
    (local $i i32) (local $n4 i32) (local $vx v128) (local $vr v128) (local $vn v128)
    (local $vq v128) (local $vs v128) (local $sx f32) (local $sr f32) (local $sn f32)
    (local $sq f32) (local $ss f32)
    ${loops(eluBody)})
)
`;
}

/** Assembles WAT text to a WebAssembly binary with wabt (SIMD, relaxed SIMD, threads enabled). */
export async function assemble(wat: string, name: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const features = { simd: true, relaxed_simd: true, threads: true };
  const mod = wabt.parseWat(name, wat, features);
  try {
    // validate takes the features too (the typings omit it); without them a shared memory fails.
    (mod as unknown as { validate(f: typeof features): void }).validate(features);
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The text of the generated module. */
export async function generate(): Promise<string> {
  const relaxed = await assemble(gemmWat(true), "gemm_relaxed.wat");
  const plain = await assemble(gemmWat(false), "gemm_simd.wat");
  return `// Generated by scripts/gen_wasm.ts (WAT assembled with wabt). Do not edit; run \`deno task gen\`.

/** Rows of the GEMM's register tile. */
export const GEMM_MR = ${MR};
/** Columns of the GEMM's register tile. */
export const GEMM_NR = ${NR};
/** Bytes at the start of the module's memory that the kernel uses as its edge tile. */
export const GEMM_RESERVED_BYTES = ${4 * MR * NR};
/** The GEMM module using \`f32x4.relaxed_madd\`, base64. */
export const GEMM_WASM_RELAXED = "${base64(relaxed)}";
/** The GEMM module using plain SIMD (\`f32x4.mul\` + \`f32x4.add\`), base64. */
export const GEMM_WASM_SIMD = "${base64(plain)}";
/** The optimizer module (private memory) using relaxed SIMD, base64. */
export const OPTIM_WASM_RELAXED = "${
    base64(await assemble(optimWat(true, false), "optim_relaxed.wat"))
  }";
/** The optimizer module (private memory) using plain SIMD, base64. */
export const OPTIM_WASM_SIMD = "${
    base64(await assemble(optimWat(false, false), "optim_simd.wat"))
  }";
/** The optimizer module (shared memory) using relaxed SIMD, base64. */
export const OPTIM_WASM_SHARED_RELAXED = "${
    base64(await assemble(optimWat(true, true), "optim_shared_relaxed.wat"))
  }";
/** The optimizer module (shared memory) using plain SIMD, base64. */
export const OPTIM_WASM_SHARED_SIMD = "${
    base64(await assemble(optimWat(false, true), "optim_shared_simd.wat"))
  }";
`;
}

if (import.meta.main) {
  const outFile = new URL("../src/nn/wasm/gemm_wasm.ts", import.meta.url);
  const generated = await generate();
  if (Deno.args.includes("--check")) {
    let current = "";
    try {
      current = await Deno.readTextFile(outFile);
    } catch { /* missing counts as stale */ }
    if (current !== generated) {
      console.error("src/nn/wasm/gemm_wasm.ts is stale: run `deno task gen` and commit it.");
      Deno.exit(1);
    }
    console.log("wasm gemm fresh");
  } else {
    await Deno.mkdir(new URL("../src/nn/wasm/", import.meta.url), { recursive: true });
    await Deno.writeTextFile(outFile, generated);
    console.log("wrote src/nn/wasm/gemm_wasm.ts");
  }
}
