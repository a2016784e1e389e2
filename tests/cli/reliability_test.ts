/**
 * The bad-input and fault cases of issue 13, each run as a new user would meet it: CLI cases
 * in-process through `main`, kill cases with a child process (every wait has a timeout).
 */
import assert from "node:assert/strict";
import { main } from "../../src/cli/main.ts";
import { readMetrics } from "../../src/cli/run_dir.ts";
import { decodeSafetensors, encodeSafetensors } from "../../src/nn/safetensors.ts";

/** Runs the program in-process, capturing its output. */
export async function run(args: string[], interrupt?: AbortController) {
  let out = "";
  let err = "";
  const code = await main(args, {
    out: (s) => {
      out += s;
      if (interrupt && s.includes("steps/s")) interrupt.abort();
    },
    err: (s) => (err += s),
    isTerminal: false,
    interrupt: interrupt?.signal,
  });
  return { code, out, err };
}

const TINY = ["--env", "catch", "--backend", "cpu", "--seed", "3", "--log-every", "5"];

/** Rewrites one value of tensor `name` (a name prefix picks the first match) in place. */
async function poison(path: string, prefix: string, index: number, value: number) {
  const file = decodeSafetensors(await Deno.readFile(path));
  const t = file.tensors.find((x) => x.name.startsWith(prefix));
  assert.ok(t, `a tensor named ${prefix}*`);
  assert.ok(index < t.data.length);
  t.data[index] = value;
  await Deno.writeFile(path, encodeSafetensors(file.tensors, file.metadata));
  return t.name;
}

Deno.test("checkpoint with NaN, Inf or a negative mean square: resume, eval and play refuse it, naming tensor and index, touching nothing", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/bad`;
  const trained = await run(["train", ...TINY, "--steps", "600", "--out", root, "--name", "bad"]);
  assert.equal(trained.code, 0, trained.err);
  const path = `${dir}/checkpoint.safetensors`;
  const good = await Deno.readFile(path);
  const cases: [string, number, number, RegExp][] = [
    ["policy.weight", 3, NaN, /holds NaN at index 3/],
    ["optim.square_avg.", 0, Infinity, /holds Infinity at index 0/],
    ["optim.square_avg.", 1, -0.5, /holds -0\.5 at index 1, a mean square \(never negative\)/],
  ];
  for (const [prefix, index, value, message] of cases) {
    await Deno.writeFile(path, good);
    const name = await poison(path, prefix, index, value);
    const bytes = await Deno.readFile(path);
    const metrics = await readMetrics(dir);
    for (
      const args of [
        ["train", "--resume", dir, "--steps", "1200"],
        ["eval", dir, "--episodes", "3"],
        ["play", dir, "--frames", "3"],
      ]
    ) {
      const r = await run(args);
      assert.equal(r.code, 1, `${args[0]} ${prefix}: ${r.out}`);
      assert.match(r.err, message, args[0]);
      assert.ok(r.err.includes(`"${name}"`), `${args[0]} names ${name}: ${r.err}`);
      assert.ok(!r.err.includes("    at "), "no stack trace");
      assert.doesNotMatch(r.out, /return/, "no evaluation of a broken policy");
    }
    assert.deepEqual(await Deno.readFile(path), bytes, "the checkpoint is untouched");
    assert.deepEqual(await readMetrics(dir), metrics, "metrics untouched");
    assert.ok(!(await Deno.stat(`${dir}/eval.json`).then(() => true, () => false)));
  }
  await Deno.remove(root, { recursive: true });
});
