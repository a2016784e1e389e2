import assert from "node:assert/strict";
import { readAsyncCheckpoint, saveAsyncCheckpoint } from "../../src/algos/async/checkpoint.ts";
import { pongCpuPreset, resolveAsyncConfig } from "../../src/algos/async/config.ts";
import { makeAsyncNet } from "../../src/algos/async/learner.ts";
import { makeSharedState } from "../../src/algos/async/shared.ts";
import { configFlags } from "../../src/cli/flags.ts";
import { main } from "../../src/cli/main.ts";
import { readMetrics, readRunInfo } from "../../src/cli/run_dir.ts";

async function run(args: string[]) {
  let out = "";
  let err = "";
  const code = await main(args, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    isTerminal: false,
  });
  return { code, out, err };
}

Deno.test("train --algo a3c: run folder, metrics with losses and lengths, resume, eval", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/a`;
  const common = ["--out", root, "--name", "a", "--log-every", "2000"];
  const first = await run([
    "train",
    "--algo",
    "a3c",
    "--env",
    "catch",
    "--steps",
    "8000",
    ...common,
  ]);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /a3c catch on cpu \(2 Deno workers/);
  const info = await readRunInfo(dir);
  assert.equal(info.algo, "a3c");
  assert.equal(info.backend.name, "cpu");
  assert.equal(info.config.workers, 2);
  assert.equal(info.config.rmsEps, 0.1); // the paper's shared RMSProp, not A2C's default
  assert.equal("faultWorker" in info.config, false); // test hooks stay out of config.json
  const metrics = await readMetrics(dir);
  assert.ok(metrics.length >= 3, `${metrics.length} records`);
  const last = metrics[metrics.length - 1];
  assert.equal(last.episodeLengthMean, 9); // Catch: the ball falls 9 rows
  for (const key of ["policyLoss", "valueLoss", "entropy", "learningRate", "gradNorm"] as const) {
    assert.equal(typeof last[key], "number", key);
  }
  const curve = await Deno.readTextFile(`${dir}/curve.svg`);
  assert.match(curve, /<polyline class="curve"/);

  const config = resolveAsyncConfig({ algo: "a3c", env: "catch", totalSteps: 20_000 });
  const saved = await readAsyncCheckpoint(
    `${dir}/checkpoint.safetensors`,
    config,
    makeAsyncNet(config).layout,
  );
  assert.ok(saved.globalSteps >= 8000, `T = ${saved.globalSteps}`);

  const again = await run(["train", "--resume", dir, "--steps", "16000"]);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, new RegExp(`resuming at step ${saved.globalSteps}`));
  const more = await readMetrics(dir);
  assert.ok(more.length > metrics.length);
  assert.ok(more[metrics.length].steps > saved.globalSteps, "steps continue from T");
  assert.ok(more[more.length - 1].steps >= 16000);

  const done = await run(["train", "--resume", dir, "--steps", "16000"]);
  assert.equal(done.code, 1);
  assert.match(done.err, /already at global step \d+ of its budget totalSteps = 16000/);

  const ev = await run(["eval", dir, "--episodes", "20"]);
  assert.equal(ev.code, 0, ev.err);
  assert.match(ev.out, /a3c catch, 20 episodes \(sampled\)/);
});

Deno.test("train --algo one-step-q: eval acts greedily on the Q-values", async () => {
  const root = await Deno.makeTempDir();
  const args = ["train", "--algo", "one-step-q", "--env", "catch", "--steps", "3000"];
  const r = await run([...args, "--out", root, "--name", "q"]);
  assert.equal(r.code, 0, r.err);
  const ev = await run(["eval", `${root}/q`, "--episodes", "10"]);
  assert.equal(ev.code, 0, ev.err);
  assert.match(ev.out, /one-step-q catch, 10 episodes \(greedy\)/);
});

Deno.test("train --algo a3c refuses a GPU backend, A2C-only fields and bad values by name", async () => {
  const root = await Deno.makeTempDir();
  const base = ["train", "--algo", "a3c", "--env", "catch", "--out", root];
  const gpu = await run([...base, "--backend", "webgpu"]);
  assert.equal(gpu.code, 1);
  assert.match(gpu.err, /backend: got "webgpu"; a3c runs on CPU workers, allowed: auto, cpu/);
  const field = await run([...base, "--num-envs", "8"]);
  assert.equal(field.code, 1);
  assert.match(field.err, /numEnvs: unknown field for algo a3c/);
  const workers = await run([...base, "--workers", "0"]);
  assert.equal(workers.code, 1);
  assert.match(workers.err, /workers: got 0, allowed/);
  const lstm = await run(["train", "--algo", "n-step-q", "--env", "catch", "--net", "lstm"]);
  assert.equal(lstm.code, 1);
  assert.match(lstm.err, /net: "lstm" is supported by A3C only/);
  assert.equal([...Deno.readDirSync(root)].length, 0, "no run folder is left behind");
});

Deno.test("async checkpoint: non-finite θ is refused and the previous file is kept", async () => {
  const config = resolveAsyncConfig({ algo: "n-step-q", env: "catch" });
  const { layout } = makeAsyncNet(config);
  const shared = makeSharedState(layout, 1, true);
  shared.params.fill(0.25);
  shared.target.fill(0.5);
  shared.rmsG.fill(0.125);
  const path = `${await Deno.makeTempDir()}/c.safetensors`;
  await saveAsyncCheckpoint(path, config, layout, shared);
  const before = await Deno.readFile(path);
  shared.params[3] = NaN;
  await assert.rejects(
    () => saveAsyncCheckpoint(path, config, layout, shared),
    /checkpoint: not written to .*: parameter \S+\[3\] is NaN; the previous checkpoint is kept/,
  );
  assert.deepEqual(await Deno.readFile(path), before);
  const loaded = await readAsyncCheckpoint(path, config, layout);
  assert.equal(loaded.checkpoint.params[3], 0.25);
  assert.equal(loaded.target[0], 0.5);
  assert.equal(loaded.rmsG[0], 0.125);
  const other = resolveAsyncConfig({ algo: "one-step-sarsa", env: "catch" });
  await assert.rejects(
    () => readAsyncCheckpoint(path, other, layout),
    /was written with algo = "n-step-q", the run asks for "one-step-sarsa"/,
  );
});

Deno.test("train --algo a3c: Ctrl-C stops every worker, writes the checkpoint, exits 130", async () => {
  const root = await Deno.makeTempDir();
  const stop = new AbortController();
  let out = "";
  const code = await main(
    ["train", "--algo", "a3c", "--env", "catch", "--steps", "5000000", "--log-every", "2000"]
      .concat(["--out", root, "--name", "int"]),
    {
      out: (s) => {
        out += s;
        if (s.includes("steps/s")) stop.abort(); // like Ctrl-C at the first progress line
      },
      err: (s) => (out += s),
      isTerminal: false,
      interrupt: stop.signal,
    },
  );
  assert.equal(code, 130, out);
  assert.match(out, /interrupted: .*resume with: train --resume/s);
  const config = resolveAsyncConfig({ algo: "a3c", env: "catch", totalSteps: 5_000_000 });
  const saved = await readAsyncCheckpoint(
    `${root}/int/checkpoint.safetensors`,
    config,
    makeAsyncNet(config).layout,
  );
  assert.ok(saved.globalSteps >= 2000 && saved.globalSteps < 5_000_000, `T ${saved.globalSteps}`);
});

Deno.test("configFlags: the Pong CPU preset as train flags gives back the preset (examples/a2c_pong.ts)", async () => {
  const root = await Deno.makeTempDir();
  const { env: _env, ...fields } = pongCpuPreset(2);
  const args = configFlags({ ...fields, totalSteps: 40, logEvery: 40 });
  const r = await run(["train", "--env", "pong", ...args, "--out", root, "--name", "p"]);
  assert.equal(r.code, 0, r.err);
  const info = await readRunInfo(`${root}/p`);
  // checkpointPath is set by code, not a flag (rl train writes the run folder's path there).
  const { checkpointPath: _, ...want } = resolveAsyncConfig({
    ...pongCpuPreset(2),
    totalSteps: 40,
    logEvery: 40,
  });
  const { checkpointPath: __, ...got } = info.config as Record<string, unknown>;
  assert.deepEqual(got, JSON.parse(JSON.stringify(want)));
  await Deno.remove(root, { recursive: true });
});
