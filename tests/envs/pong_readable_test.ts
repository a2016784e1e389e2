import assert from "node:assert/strict";
import { trainReadability } from "../../scripts/pong_readable.ts";

// Pong's frames are readable by the net A2C and A3C train: from 42×42×4 stacks alone, it learns
// whether the ball is in the top half (chance: about 0.5). Fails when the drawing (the ball
// missing or misplaced), the conv net's backward or the optimizer breaks. With ALE's gray
// background (87) the same net stayed at chance for 1,000 steps (README, "Pong").
Deno.test("pong: the FF net learns to read the ball's half from the frames (≥ 0.85 in 500 steps)", () => {
  const r = trainReadability({ label: "half", background: 0, steps: 500 });
  assert.ok(r.majority < 0.55, `majority class ${r.majority}`);
  assert.ok(r.accuracy >= 0.85, `held-out accuracy ${r.accuracy}`);
});
