import assert from "node:assert/strict";
import { benchGemm } from "../../src/bench/gemm.ts";

Deno.test("bench gemm: one row per (shape, code) per unit, positive GFLOP/s", () => {
  const rows = benchGemm({ shapes: [[20, 24, 40]], rounds: 1, ms: 5 });
  const wall = rows.filter((r) => r.unit === "GFLOP/s");
  // The twin, the plain-SIMD module when the best is relaxed SIMD, and the best module.
  assert.ok(wall.length === 2 || wall.length === 3);
  assert.equal(wall[0].name, "TS loop (twin matmul)");
  for (const r of wall.slice(1)) assert.match(r.name, /^gemm \(wasm-/);
  for (const r of rows) {
    assert.equal(r.group, "gemm");
    assert.equal(r.shape, "20x24x40");
    assert.ok(r.value > 0 && Number.isFinite(r.value));
  }
});
