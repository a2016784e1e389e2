import assert from "node:assert/strict";
import { loadA2cCheckpoint } from "../../src/algos/a2c/checkpoint.ts";
import { resolveA2cConfig } from "../../src/algos/a2c/config.ts";
import { makeA2cCpu } from "../../src/algos/a2c/cpu.ts";
import { makeA2cRunner, trainA2c } from "../../src/algos/a2c/train.ts";
import { makeA2cEntry, registerAlgo } from "../../src/cli/algos.ts";
import { run, TINY } from "./run_cli.ts";
import { readMetrics, readRunInfo } from "../../src/cli/run_dir.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("train writes config.json, metrics.jsonl, curve.svg and a loadable checkpoint", async () => {
  const root = await Deno.makeTempDir();
  const args = ["train", ...TINY, "--steps", "2100", "--out", root, "--name", "r1", "--lr", "5e-3"];
  const r = await run(args);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");
  const dir = `${root}/r1`;
  assert.match(r.out, /a2c catch on cpu/);
  assert.match(r.out, /budget reached: 2160 steps/);

  const info = await readRunInfo(dir);
  assert.equal(info.algo, "a2c");
  assert.equal(info.env, "catch");
  assert.equal(info.config.totalSteps, 2100);
  assert.equal(info.config.lr, 5e-3);
  assert.deepEqual(info.config.hidden, [32]); // Catch's preset
  assert.equal(info.package.name, "@webgpu-rl/core");
  assert.match(info.package.version, /^\d+\.\d+\.\d+/);
  assert.equal(info.backend.name, "cpu");
  assert.match(info.backend.reason, /CPU/);
  assert.deepEqual(info.commandLine, args);

  const metrics = await readMetrics(dir);
  assert.equal(metrics.length, 6); // 27 iterations: a record every 5, and one at the last
  const last = metrics[metrics.length - 1];
  assert.equal(last.steps, 2160);
  for (
    const key of [
      "wallSeconds",
      "returnMean100",
      "returnMin",
      "returnMax",
      "episodeLengthMean",
      "policyLoss",
      "valueLoss",
      "entropy",
      "learningRate",
      "gradNorm",
      "stepsPerSecond",
    ] as const
  ) {
    assert.equal(typeof last[key], "number", key);
  }
  assert.equal(last.episodeLengthMean, 9); // Catch: the ball falls 9 rows
  // Catch ends every episode with +1 or −1: the extremes are one of those, and the mean lies
  // between them.
  assert.ok([-1, 1].includes(last.returnMin!), `returnMin ${last.returnMin}`);
  assert.ok([-1, 1].includes(last.returnMax!), `returnMax ${last.returnMax}`);
  assert.ok(last.returnMin! <= last.returnMean100! && last.returnMean100! <= last.returnMax!);

  const svg = await Deno.readTextFile(`${dir}/curve.svg`);
  assert.match(svg, /<polyline class="curve" points="[^"]+"/);

  const config = resolveA2cConfig(info.config);
  const runner = makeA2cCpu(config);
  const loaded = await loadA2cCheckpoint(`${dir}/checkpoint.safetensors`, runner);
  assert.equal(loaded.iterations, 27);

  // The same name again is refused: a run is never overwritten.
  const again = await run(args);
  assert.equal(again.code, 1);
  assert.match(again.err, /already holds a run; continue it with --resume/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("train --resume continues the steps and appends metrics; bad resumes refused", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/r2`;
  assert.equal(
    (await run(["train", ...TINY, "--steps", "1200", "--out", root, "--name", "r2"])).code,
    0,
  );
  const before = await readMetrics(dir);
  assert.equal(before[before.length - 1].steps, 1200);

  const nothing = await run(["train", "--resume", dir]);
  assert.equal(nothing.code, 1);
  assert.match(nothing.err, /already at step 1200 of its budget totalSteps = 1200; give a larger/);
  const changed = await run(["train", "--resume", dir, "--lr", "0.1", "--steps", "3000"]);
  assert.equal(changed.code, 1);
  assert.match(
    changed.err,
    /only --steps, --backend, --log-every and --target may change \(got --lr\)/,
  );

  const r = await run(["train", "--resume", dir, "--steps", "2400"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /resuming at step 1200/);
  const after = await readMetrics(dir);
  assert.deepEqual(after.slice(0, before.length), before);
  const added = after.slice(before.length);
  assert.ok(added.length >= 2);
  assert.equal(added[0].steps, 1600); // iterations 16..20, logged at 20
  assert.equal(added[added.length - 1].steps, 2400);
  assert.ok(added[0].wallSeconds >= before[before.length - 1].wallSeconds);
  // Episodes keep counting across the resume (the trainer counts from 0 in each process).
  const episodesBefore = before[before.length - 1].episodes;
  assert.ok(episodesBefore > 0, `episodes before the resume: ${episodesBefore}`);
  assert.ok(added[0].episodes > episodesBefore, `${added[0].episodes} ≤ ${episodesBefore}`);
  const info = await readRunInfo(dir);
  assert.equal(info.config.totalSteps, 2400);
  assert.equal(info.resumedAt?.length, 1);

  // A truncated checkpoint is refused before training, and nothing is appended.
  const path = `${dir}/checkpoint.safetensors`;
  const bytes = await Deno.readFile(path);
  await Deno.writeFile(path, bytes.subarray(0, bytes.length - 64));
  const bad = await run(["train", "--resume", dir, "--steps", "4000"]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^error: checkpoint: .*checkpoint\.safetensors: .*truncated/);
  assert.ok(!bad.err.includes("    at "), "no stack trace");
  assert.equal((await readMetrics(dir)).length, after.length);
  await Deno.remove(path);
  const missing = await run(["train", "--resume", dir, "--steps", "4000"]);
  assert.match(missing.err, /holds no checkpoint\.safetensors .*start it afresh with train --out/);
  const notRun = await run(["train", "--resume", root, "--steps", "4000"]);
  assert.match(notRun.err, /no config\.json \(not a run folder\?\)/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("flags: unknown flags and bad values are refused with the flag and value named", async () => {
  const root = await Deno.makeTempDir();
  const cases: [string[], RegExp][] = [
    [["train", "--foo"], /unknown option '--foo'/],
    [
      ["train", "--lr", "abc"],
      /option '--lr <number>' argument 'abc' is invalid\. --lr: "abc" is not a number/,
    ],
    [["train", "--lr", "1e"], /argument '1e' is invalid/],
    [["train", "--hidden", "64,x"], /--hidden: "x" is not a number/],
    [["train", "--env-option", "rows"], /--env-option: "rows" is not key=value/],
    [
      ["train", "--env", "pong", "--env-option", "antialias=yes"],
      /--env-option antialias: "yes" is not a number, true or false/,
    ],
    [
      ["train", "--backend", "cpu", "--env", "pong", "--env-option", "antialias=1"],
      /option antialias = 1; allowed: true or false/,
    ],
    [
      ["train", "--backend", "cpu", "--gamma", "2"],
      /invalid A2C config:\n {2}gamma: got 2, allowed \(0, 1\]/,
    ],
    [["train", "--backend", "cpu", "--num-envs", "2.5"], /numEnvs: got 2.5, allowed an integer/],
    [
      ["train", "--backend", "cpu", "--optimizer", "sgd"],
      /optimizer: got "sgd", allowed: rmsprop, adam/,
    ],
    [["train", "--env", "nope"], /env: unknown name "nope"/],
    [["train", "--algo", "dqn"], /algo: unknown name "dqn"; allowed: a2c/],
    [["train", "--backend", "cpu", "--env", "catch", "--env-option", "rows=1"], /rows/],
    [["eval", `${root}/none`], /no config\.json/],
    [["play"], /give a run folder/],
    [["nonsense"], /unknown command 'nonsense'/],
  ];
  for (const [args, pattern] of cases) {
    const r = await run(args[0] === "train" ? [...args, "--out", root] : args);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.err, pattern, args.join(" "));
    assert.ok(!r.err.includes("    at "), `no stack trace: ${args.join(" ")}`);
  }
  // No run folder was created by any refused command.
  assert.deepEqual([...Deno.readDirSync(root)], []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("train: --config file, booleans, lists and env options reach config.json", async () => {
  const root = await Deno.makeTempDir();
  const file = `${root}/c.json`;
  await Deno.writeTextFile(file, JSON.stringify({ lr: 0.002, gamma: 0.9, seed: 9 }));
  const r = await run([
    "train",
    "--config",
    file,
    "--gamma",
    "0.95",
    "--backend",
    "cpu",
    "--steps",
    "200",
    "--anneal-lr",
    "--hidden",
    "8,4",
    "--env-option",
    "rows=7",
    "--env-option",
    "columns=4",
    "--out",
    root,
    "--name",
    "c",
  ]);
  assert.equal(r.code, 0, r.err);
  const { config } = await readRunInfo(`${root}/c`);
  assert.equal(config.lr, 0.002); // from the file
  assert.equal(config.gamma, 0.95); // the flag wins
  assert.equal(config.seed, 9);
  assert.equal(config.annealLr, true); // Catch's preset says false
  assert.deepEqual(config.hidden, [8, 4]);
  assert.deepEqual(config.envOptions, { rows: 7, columns: 4 });
  // A run's own config.json repeats the run (its `config` object is read).
  const again = await run([
    "train",
    "--config",
    `${root}/c/config.json`,
    "--out",
    root,
    "--name",
    "d",
  ]);
  assert.equal(again.code, 0, again.err);
  assert.deepEqual((await readRunInfo(`${root}/d`)).config, config);
  const bad = await run(["train", "--config", `${root}/missing.json`]);
  assert.match(bad.err, /--config: cannot read/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("train: a run's saved config (with its algo) starts the same algorithm again", async () => {
  const root = await Deno.makeTempDir();
  const common = ["--steps", "2000", "--out", root];
  const first = await run(["train", "--algo", "a3c", "--env", "catch", ...common, "--name", "a"]);
  assert.equal(first.code, 0, first.err);
  const file = `${root}/a3c.json`;
  await Deno.writeTextFile(file, JSON.stringify((await readRunInfo(`${root}/a`)).config));
  const again = await run(["train", "--config", file, ...common, "--name", "b"]);
  assert.equal(again.code, 0, again.err);
  assert.equal((await readRunInfo(`${root}/b`)).algo, "a3c");
  const clash = await run(["train", "--config", file, "--algo", "a2c", ...common, "--name", "c"]);
  assert.match(clash.err, /--config: .* has algo a3c but --algo is a2c; give one/);
  await Deno.writeTextFile(file, JSON.stringify({ algo: "ppo" }));
  const unknown = await run(["train", "--config", file, ...common, "--name", "d"]);
  assert.match(unknown.err, /--config: algo: got "ppo", allowed a2c, a3c/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("train: Ctrl-C stops after a checkpoint and exits 130", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/int`;
  const stop = new AbortController();
  const r = await run(["train", ...TINY, "--steps", "50000", "--out", root, "--name", "int"], stop);
  assert.equal(r.code, 130, r.err);
  assert.match(r.out, /interrupted: .*resume with: train --resume/s);
  const metrics = await readMetrics(dir);
  const steps = metrics[metrics.length - 1].steps;
  assert.ok(steps < 50000);
  const runner = makeA2cCpu(resolveA2cConfig((await readRunInfo(dir)).config));
  const info = await loadA2cCheckpoint(`${dir}/checkpoint.safetensors`, runner);
  assert.equal(info.iterations * 80, steps);
  await Deno.remove(root, { recursive: true });
});

Deno.test("train: a non-finite loss exits 1 and keeps the last good checkpoint", async () => {
  // An A2C whose parameters become NaN in iteration 12 and whose reports requested from then
  // on say "non-finite". Records come every 5 iterations and are consumed one interval later
  // (pipelined readback): the record of iteration 5 is logged at 10 with the parameters of
  // iteration 10; at 15 the record of iteration 10 would save the NaN parameters, which the
  // checkpoint writer refuses, so the run stops there and the checkpoint of iteration 10 stays.
  registerAlgo(makeA2cEntry(async (config) => {
    const built = await makeA2cRunner(config);
    let iterations = 0;
    const runner = new Proxy(built.runner, {
      get(target, key) {
        if (key === "iterate") {
          return () => {
            target.iterate();
            if (++iterations === 12) {
              void target.setParams(new Float32Array(target.parameterCount).fill(NaN));
            }
          };
        }
        if (key === "iterateInPhases") return undefined; // the loop then calls `iterate`
        if (key === "report") {
          return async () => {
            const bad = iterations >= 12;
            const report = await target.report();
            return bad ? { ...report, nonFinite: true } : report;
          };
        }
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { runner, backend: built.backend };
  }, "a2c-nan-test"));
  const root = await Deno.makeTempDir();
  const dir = `${root}/nan`;
  const r = await run([
    "train",
    "--algo",
    "a2c-nan-test",
    ...TINY,
    "--steps",
    "8000",
    "--out",
    root,
    "--name",
    "nan",
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^error: checkpoint: not written to .*: parameter \S+ is NaN; the previous checkpoint is kept/,
  );
  const runner = makeA2cCpu(resolveA2cConfig((await readRunInfo(dir)).config));
  const info = await loadA2cCheckpoint(`${dir}/checkpoint.safetensors`, runner);
  assert.equal(info.iterations, 10);
  assert.ok((await runner.getParams()).every(Number.isFinite));
  assert.equal((await readMetrics(dir)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("trainA2c: a non-finite report stops the run with the step named", async () => {
  const built = await makeA2cRunner(resolveA2cConfig({ env: "catch", backend: "cpu" }));
  let reports = 0;
  const runner = new Proxy(built.runner, {
    get(target, key) {
      if (key === "report") {
        return async () => {
          const report = await target.report();
          return ++reports === 2 ? { ...report, nonFinite: true } : report;
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const logged: number[] = [];
  await assert.rejects(
    () =>
      trainA2c(
        { env: "catch", backend: "cpu", logEvery: 5, totalSteps: 8000 },
        {
          onLog: (record) => void logged.push(record.steps),
        },
        undefined,
        { runner, backend: built.backend },
      ),
    /^Error: A2C: a loss, gradient or parameter became non-finite by step 800 .*the last good checkpoint is kept/,
  );
  assert.deepEqual(logged, [400]); // the record before the bad one, never the bad one
});

Deno.test("eval prints mean ± std, min, max and writes eval.json; play writes a GIF", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/e`;
  assert.equal(
    (await run(["train", ...TINY, "--steps", "800", "--out", root, "--name", "e"])).code,
    0,
  );
  const r = await run(["eval", dir, "--episodes", "30"]);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /^a2c catch, 30 episodes \(sampled\): return -?[\d.]+ ± [\d.]+, min -?1, max -?1; mean length 9\n/,
  );
  const report = JSON.parse(await Deno.readTextFile(`${dir}/eval.json`));
  assert.equal(report.episodes, 30);
  assert.equal(report.returns.length, 30);
  assert.equal(report.unfinished, 0);
  assert.ok(report.returns.every((x: number) => x === 1 || x === -1));
  const mean = report.returns.reduce((a: number, b: number) => a + b, 0) / 30;
  assert.ok(Math.abs(report.returnMean - mean) < 1e-12);
  const greedy = await run(["eval", dir, "--episodes", "5", "--greedy"]);
  assert.match(greedy.out, /5 episodes \(greedy\)/);

  const p = await run(["play", dir, "--frames", "6"]);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /catch: 6 frames, return 0 \(episode not finished: --frames limit\)/);
  const gif = await Deno.readFile(`${dir}/play.gif`);
  assert.equal(new TextDecoder().decode(gif.subarray(0, 6)), "GIF89a");
  const random = await run([
    "play",
    "--env",
    "cartpole",
    "--policy",
    "random",
    "--gif",
    `${root}/r.gif`,
  ]);
  assert.equal(random.code, 0, random.err);
  assert.ok(await exists(`${root}/r.gif`));
  await Deno.remove(root, { recursive: true });
});

Deno.test("subprocess: `deno run -A src/cli/main.ts train --help` shows flags and an example", async () => {
  const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "train", "--help"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  for (
    const s of [
      "Usage: rl train",
      "--max-grad-norm <number>",
      "--no-anneal-lr",
      "--resume",
      "Examples:",
    ]
  ) {
    assert.ok(text.includes(s), s);
  }
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "train", "--gamma", "7", "--backend", "cpu"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 1);
  assert.equal(
    new TextDecoder().decode(bad.stderr),
    "error: invalid A2C config:\n  gamma: got 7, allowed (0, 1]\n",
  );
});

Deno.test("curve draws several runs (seeds) in one SVG; bad labels and paths name the flag", async () => {
  const root = await Deno.makeTempDir();
  for (const seed of ["1", "2"]) {
    const args = ["train", ...TINY, "--seed", seed, "--steps", "800", "--out", root];
    assert.equal((await run([...args, "--name", `s${seed}`])).code, 0);
  }
  const out = `${root}/both.svg`;
  const r = await run(["curve", `${root}/s1`, `${root}/s2`, "--out", out]);
  assert.equal(r.code, 0, r.err);
  const svg = await Deno.readTextFile(out);
  assert.equal([...svg.matchAll(/<polyline class="curve"/g)].length, 4);
  assert.ok(svg.includes(">seed 1<") && svg.includes(">seed 2<") && svg.includes("a2c catch"));
  const bad = await run(["curve", `${root}/s1`, "--out", out, "--labels", "a,b"]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--labels: got 2 labels for 1 runs/);
  const nowhere = await run(["curve", `${root}/s1`, "--out", `${root}/no/such/dir/x.svg`]);
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.err, /--out: cannot write .*no\/such\/dir\/x.svg/);
});
