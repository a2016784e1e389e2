import assert from "node:assert/strict";
import { barChartSvg, formatRatio, gpuCpuRatios } from "../../src/cli/bar_chart_svg.ts";
import { curvesSvg, curveSvg, escapeXml, niceTicks, tickLabel } from "../../src/cli/curve_svg.ts";

/** Checks that every tag opened is closed in order (XML-ish well-formedness). */
function assertBalanced(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) assert.equal(stack.pop(), name, `closing </${name}>`);
    else stack.push(name);
  }
  assert.deepEqual(stack, []);
}

Deno.test("niceTicks: round steps covering the range", () => {
  assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(-1, 1, 4), [-1, -0.5, 0, 0.5, 1]);
  const t = niceTicks(3, 97_000, 5);
  assert.ok(t[0] <= 3 && t[t.length - 1] >= 97_000);
  assert.deepEqual(niceTicks(5, 5, 4), [4, 4.5, 5, 5.5, 6]);
  assert.equal(tickLabel(20_000), "20k");
  assert.equal(tickLabel(1_500_000), "1.5M");
  assert.equal(tickLabel(0.25), "0.25");
});

Deno.test("curveSvg: two panels with one polyline point per finite record, labels, title", () => {
  const points = [
    { steps: 400, wallSeconds: 0.5, returnMean100: null },
    { steps: 800, wallSeconds: 1, returnMean100: -0.5 },
    { steps: 1200, wallSeconds: 1.5, returnMean100: NaN },
    { steps: 1600, wallSeconds: 2, returnMean100: 0.25 },
    { steps: 2000, wallSeconds: 2.5, returnMean100: 0.75 },
  ];
  const svg = curveSvg(points, { title: "a2c <catch> & co" });
  assert.ok(svg.startsWith("<?xml"));
  assertBalanced(svg);
  const polylines = [...svg.matchAll(/<polyline class="curve" points="([^"]*)"/g)];
  assert.equal(polylines.length, 2);
  for (const [, pts] of polylines) {
    const pairs = pts.split(" ");
    assert.equal(pairs.length, 3);
    for (const p of pairs) assert.match(p, /^\d+(\.\d)?,\d+(\.\d)?$/);
  }
  // Higher returns are drawn higher (smaller y).
  const ys = polylines[0][1].split(" ").map((p) => Number(p.split(",")[1]));
  assert.ok(ys[0] > ys[1] && ys[1] > ys[2]);
  for (const label of ["environment steps", "wall time (s)", "mean return (last 100)"]) {
    assert.ok(svg.includes(label), label);
  }
  assert.ok(svg.includes("a2c &lt;catch&gt; &amp; co"));
  assert.equal(escapeXml(`"'`), "&quot;&apos;");
  const empty = curveSvg([]);
  assertBalanced(empty);
  assert.ok(empty.includes("no finished episodes yet"));
  assert.ok(!empty.includes("<polyline"));
});

Deno.test("curvesSvg: one colour and one legend entry a run, shared axes", () => {
  const run = (k: number) =>
    [1, 2, 3].map((i) => ({ steps: 1000 * i * k, wallSeconds: i * k, returnMean100: i - k }));
  const svg = curvesSvg([{ label: "seed 1", points: run(1) }, {
    label: "seed <2>",
    points: run(2),
  }]);
  assertBalanced(svg);
  const lines = [...svg.matchAll(/<polyline class="curve" points="[^"]*" stroke="([^"]+)"/g)];
  assert.equal(lines.length, 4); // two runs × two panels
  assert.notEqual(lines[0][1], lines[1][1]);
  assert.ok(svg.includes(">seed 1<") && svg.includes(">seed &lt;2&gt;<"));
  assert.ok(!curveSvg(run(1)).includes(">seed"), "one run: no legend");
});

Deno.test("barChartSvg: bars from the 1× line on a log axis; GPU rows paired with CPU rows", () => {
  const rows = [
    { group: "matmul", name: "A·B", shape: "256", backend: "webgpu", value: 50 },
    { group: "matmul", name: "A·B", shape: "256", backend: "cpu", value: 5 },
    { group: "envs", name: "catch", shape: "N=64", backend: "webgpu", value: 1 },
    { group: "envs", name: "catch", shape: "N=64", backend: "cpu", value: 4 },
    { group: "envs", name: "pong", shape: "N=64", backend: "webgpu", value: 1 },
  ];
  const bars = gpuCpuRatios(rows);
  assert.deepEqual(bars, [
    { label: "matmul A·B 256", ratio: 10 },
    { label: "envs catch N=64", ratio: 0.25 },
  ]);
  const svg = barChartSvg(bars, { title: "ratios" });
  assertBalanced(svg);
  assert.equal([...svg.matchAll(/<rect class="faster"/g)].length, 1);
  assert.equal([...svg.matchAll(/<rect class="slower"/g)].length, 1);
  for (const text of ["10×", "0.25×", "1×", "0.1×", "matmul A·B 256", "ratios"]) {
    assert.ok(svg.includes(text), text);
  }
  assert.equal(formatRatio(123.4), "123×");
  assert.throws(() => barChartSvg([{ label: "x", ratio: 0 }]), /bar "x" has ratio 0/);
});
