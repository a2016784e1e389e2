import assert from "node:assert/strict";
import {
  CLEAR_LINE,
  formatBar,
  formatCount,
  formatDuration,
  formatProgressLine,
  makeProgress,
} from "../../src/cli/progress.ts";

Deno.test("progress: durations, counts and bars", () => {
  assert.equal(formatDuration(45.2), "45s");
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(2 * 3600 + 7 * 60), "2h07m");
  assert.equal(formatDuration(NaN), "?");
  assert.equal(formatDuration(Infinity), "?");
  assert.equal(formatCount(950), "950");
  assert.equal(formatCount(12_345), "12.3k");
  assert.equal(formatCount(4_500_000), "4.50M");
  assert.equal(formatBar(0.5, 10), "[#####-----]");
  assert.equal(formatBar(2, 4), "[####]");
  assert.equal(formatBar(NaN, 4), "[----]");
});

Deno.test("progress: a line with budget has a bar, a percentage and the ETA", () => {
  const line = formatProgressLine({
    snapshot: { steps: 15_000, episodes: 1200, returnMean100: 0.523 },
    stepsPerSecond: 1000,
    elapsedSeconds: 15,
    budget: 60_000,
    label: "a2c catch",
    barWidth: 8,
  });
  assert.equal(
    line,
    "a2c catch  15.0k/60.0k [##------] 25%  1.00k steps/s  ep 1200  ret100 0.52  15s  ETA 45s",
  );
  const open = formatProgressLine({
    snapshot: { steps: 500, episodes: 0, returnMean100: NaN },
    stepsPerSecond: 0,
    elapsedSeconds: 1,
  });
  assert.equal(open, "500 steps  0 steps/s  ep 0  ret100 n/a  1s");
});

Deno.test("progress: plain mode prints one line per update, measured by the injected clock", () => {
  const out: string[] = [];
  let t = 0;
  const p = makeProgress({ live: false, write: (s) => out.push(s), now: () => t, budget: 1000 });
  p.update({ steps: 100, episodes: 1, returnMean100: 1 });
  t = 2000;
  p.update({ steps: 300, episodes: 2, returnMean100: 2 });
  p.finish("done");
  assert.equal(out.length, 3);
  assert.ok(out.every((s) => s.endsWith("\n") && !s.includes("\r")));
  // 200 steps in 2 s since the first update: 100 steps/s, 700 left: ETA 7s.
  assert.match(
    out[1],
    /300\/1\.00k .* 30% {2}100 steps\/s {2}ep 2 {2}ret100 2\.00 {2}2s {2}ETA 7s\n$/,
  );
  assert.equal(out[2], "done\n");
});

Deno.test("progress: live mode rewrites one line, rate-limited, and ends it on finish", () => {
  const out: string[] = [];
  let t = 0;
  const p = makeProgress({ live: true, write: (s) => out.push(s), now: () => t, redrawMs: 100 });
  p.update({ steps: 10, episodes: 0, returnMean100: NaN, stepsPerSecond: 50 });
  t = 50; // too soon: held back
  p.update({ steps: 20, episodes: 0, returnMean100: NaN, stepsPerSecond: 50 });
  assert.equal(out.length, 1);
  assert.ok(out[0].startsWith(CLEAR_LINE));
  assert.ok(!out[0].includes("\n"));
  p.finish("bye");
  assert.equal(out.length, 4); // the held-back state, the newline, the message
  assert.ok(out[1].startsWith(CLEAR_LINE) && out[1].includes("20 steps"));
  assert.deepEqual(out.slice(2), ["\n", "bye\n"]);
  assert.match(p.lastLine, /^20 steps {2}50 steps\/s/);
});
