/**
 * The bad-input and fault cases of issue 13, each run as a new user would meet it: CLI cases
 * in-process through `main`, kill cases with a child process (every wait has a timeout).
 */
import assert from "node:assert/strict";
import { run, TINY } from "./run_cli.ts";
import { readMetrics } from "../../src/cli/run_dir.ts";
import { decodeSafetensors, encodeSafetensors } from "../../src/nn/safetensors.ts";

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

Deno.test("--name must be one folder name: '..', '', '.', 'a/b', '/abs' are refused with the rule, writing nothing", async () => {
  const root = await Deno.makeTempDir();
  const inner = `${root}/out`;
  await Deno.mkdir(inner);
  for (const name of ["..", "", ".", "a/b", `${root}/abs`, "a\\b"]) {
    const r = await run(["train", ...TINY, "--steps", "100", "--out", inner, "--name", name]);
    assert.equal(r.code, 1, name);
    assert.match(r.err, /^error: --name: got .*, allowed one folder name inside --out/, name);
  }
  const written = [];
  for await (const e of Deno.readDir(root)) written.push(e.name);
  assert.deepEqual(written, ["out"]);
  for await (const e of Deno.readDir(inner)) assert.fail(`wrote ${e.name}`);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a run killed (SIGKILL, child process) before its first checkpoint: resume names the way out, train --name restarts it", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/k`;
  const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "train", ...TINY, "--steps", "100000000", "--log-every", "1000000000"]
      .concat(["--out", root, "--name", "k"]),
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const deadline = Date.now() + 60_000;
    while (!(await Deno.stat(`${dir}/config.json`).then(() => true, () => false))) {
      assert.ok(Date.now() < deadline, "config.json did not appear within 60 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300)); // training has started
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  assert.ok(!(await Deno.stat(`${dir}/checkpoint.safetensors`).then(() => true, () => false)));
  const resume = await run(["train", "--resume", dir, "--steps", "1000"]);
  assert.equal(resume.code, 1);
  assert.match(
    resume.err,
    new RegExp(
      `holds no checkpoint\\.safetensors .*start it afresh with train --out ${root} --name k`,
    ),
  );
  const again = await run(["train", ...TINY, "--steps", "300", "--out", root, "--name", "k"]);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /held no checkpoint \(its run stopped before one\): starting afresh/);
  assert.ok(await Deno.stat(`${dir}/checkpoint.safetensors`));
  // With a checkpoint, the folder is a run: a new train --name refuses and names --resume.
  const twice = await run(["train", ...TINY, "--steps", "300", "--out", root, "--name", "k"]);
  assert.equal(twice.code, 1);
  assert.match(twice.err, /already holds a run; continue it with --resume/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("resume drops a torn last line of metrics.jsonl and says so; the next resume reads every line", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/t`;
  assert.equal(
    (await run(["train", ...TINY, "--steps", "800", "--out", root, "--name", "t"])).code,
    0,
  );
  const lines = (await Deno.readTextFile(`${dir}/metrics.jsonl`)).split("\n").length - 1;
  await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"steps": 9', { append: true });
  const r = await run(["train", "--resume", dir, "--steps", "1200"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`metrics\\.jsonl: dropped a torn last line ${lines + 1} `));
  const again = await run(["train", "--resume", dir, "--steps", "1600"]);
  assert.equal(again.code, 0, again.err);
  const text = await Deno.readTextFile(`${dir}/metrics.jsonl`);
  for (const line of text.trimEnd().split("\n")) JSON.parse(line); // every line whole
  assert.equal((await readMetrics(dir)).at(-1)?.steps, 1600);
  await Deno.remove(root, { recursive: true });
});

/** Starts `main.ts` with `args` in a child process and waits (≤ 60 s) until stdout shows `ready`. */
async function spawnUntil(args: string[], ready: RegExp) {
  const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let out = "";
  const deadline = Date.now() + 60_000;
  while (!ready.test(out)) {
    const left = deadline - Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const chunk = await Promise.race([
      reader.read(),
      new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), Math.max(0, left)))),
    ]);
    clearTimeout(timer);
    if (chunk === "timeout" || chunk.done) {
      child.kill("SIGKILL");
      await child.status;
      assert.fail(`child did not print ${ready} within 60 s: ${out}`);
    }
    out += decoder.decode(chunk.value);
  }
  const rest = (async () => {
    for (;;) {
      const c = await reader.read();
      if (c.done) return out;
      out += decoder.decode(c.value);
    }
  })();
  return { child, rest };
}

Deno.test("SIGINT acts within seconds between log points (child process, log every 10^6 iterations)", async () => {
  const root = await Deno.makeTempDir();
  const { child, rest } = await spawnUntil([
    "train",
    "--env",
    "cartpole",
    "--backend",
    "cpu",
    "--steps",
    "1000000000",
    "--log-every",
    "1000000",
    "--out",
    root,
    "--name",
    "sig",
  ], /run folder/);
  await new Promise((r) => setTimeout(r, 500)); // inside the loop, far from a log point
  const t0 = performance.now();
  child.kill("SIGINT");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    child.status,
    new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), 30_000))),
  ]);
  clearTimeout(timer);
  if (status === "timeout") {
    child.kill("SIGKILL");
    await child.status;
    assert.fail("no exit within 30 s of SIGINT");
  }
  const seconds = (performance.now() - t0) / 1000;
  const out = await rest;
  await child.stderr.cancel();
  assert.equal(status.code, 130, out);
  assert.match(out, /interrupted/);
  // One CartPole iteration (N 8, T 5) is well under a millisecond; the loop yields every 200 ms.
  assert.ok(seconds < 5, `exited ${seconds.toFixed(2)} s after SIGINT`);
  assert.ok(await Deno.stat(`${root}/sig/checkpoint.safetensors`));
  await Deno.remove(root, { recursive: true });
});

Deno.test("a config file value of the wrong type says what it got", async () => {
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(`${root}/c.json`, '{"gamma": "0.9"}');
  for (const algo of ["a2c", "a3c"]) {
    const r = await run([
      "train",
      "--algo",
      algo,
      "--env",
      "catch",
      "--config",
      `${root}/c.json`,
      "--out",
      root,
      "--name",
      algo,
    ]);
    assert.equal(r.code, 1, algo);
    assert.match(r.err, /gamma: got a string "0\.9", allowed a number in \(0, 1\]/, algo);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("sizes: memory is estimated before any work and refused with the field, value and limit", async () => {
  const root = await Deno.makeTempDir();
  const cases: [string[], RegExp][] = [
    [
      ["--env", "cartpole", "--hidden", "100000000"],
      /^error: hidden: got \[100000000\] \(\d+ parameters\): the run needs about [\d.]+ GiB of memory, limit [\d.]+ GiB/,
    ],
    [
      ["--env", "pong", "--num-envs", "1048576"],
      /^error: numEnvs: got 1048576 \(× rolloutSteps 5\): the run needs about [\d.]+ GiB/,
    ],
  ];
  for (const [flags, message] of cases) {
    const t0 = performance.now();
    const r = await run(["train", "--backend", "cpu", ...flags, "--out", root, "--name", "m"]);
    assert.equal(r.code, 1, flags.join(" "));
    assert.match(r.err, message);
    assert.ok(performance.now() - t0 < 10_000, "refused before any work");
  }
  const a3c = await run(["train", "--algo", "a3c", "--env", "cartpole", "--hidden", "100000000"]
    .concat(["--out", root, "--name", "m"]));
  assert.equal(a3c.code, 1);
  assert.match(
    a3c.err,
    /^error: hidden: got \[100000000\] \(\d+ parameters\): the run needs about/,
  );
  for await (const e of Deno.readDir(root)) assert.fail(`left ${e.name}`);
  const play = await run([
    "play",
    "--env",
    "pong",
    "--policy",
    "random",
    "--frames",
    "100000",
    "--scale",
    "16",
  ]);
  assert.equal(play.code, 1);
  assert.match(
    play.err,
    /^error: --frames 100000 × --scale 16: the frames need \d+ MiB, limit 1024 MiB/,
  );
  const fps = await run(["play", "--env", "catch", "--policy", "random", "--fps", "0"]);
  assert.match(fps.err, /^error: --fps: got 0, allowed an integer in \[1, 100\]/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("file errors name the flag and the path, without a stack trace", async () => {
  const root = await Deno.makeTempDir();
  const gif = await run([
    "play",
    "--env",
    "catch",
    "--policy",
    "random",
    "--gif",
    `${root}/no/x.gif`,
  ]);
  assert.equal(gif.code, 1);
  assert.equal(gif.err, `error: --gif: cannot write ${root}/no/x.gif: its folder does not exist\n`);
  await Deno.writeTextFile(`${root}/file`, "");
  const out = await run([
    "train",
    ...TINY,
    "--steps",
    "100",
    "--out",
    `${root}/file`,
    "--name",
    "x",
  ]);
  assert.equal(out.code, 1);
  assert.match(out.err, new RegExp(`^error: --out/--name: cannot write ${root}/file/x: `));
  assert.ok(!out.err.includes("    at "), "no stack trace");
  await Deno.remove(root, { recursive: true });
});

Deno.test("resume with a larger budget says how the annealed learning rate changes", async () => {
  const root = await Deno.makeTempDir();
  const args = ["--env", "cartpole", "--backend", "cpu", "--log-every", "5", "--out", root];
  assert.equal((await run(["train", ...args, "--steps", "400", "--name", "lr"])).code, 0);
  const r = await run(["train", "--resume", `${root}/lr`, "--steps", "800"]);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /learning rate: annealed to 0 over the new budget totalSteps = 800 \(was 400\), so at step 400 it goes from 0 to 0\.0015/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("A3C with one worker logs at exact multiples of --log-every, the same in every run", async () => {
  const root = await Deno.makeTempDir();
  const steps: number[][] = [];
  for (const name of ["a", "b"]) {
    const r = await run([
      "train",
      "--algo",
      "a3c",
      "--env",
      "catch",
      "--workers",
      "1",
      "--steps",
      "8000",
      "--log-every",
      "2000",
      "--out",
      root,
      "--name",
      name,
    ]);
    assert.equal(r.code, 0, r.err);
    steps.push((await readMetrics(`${root}/${name}`)).map((m) => m.steps));
  }
  assert.deepEqual(steps[0].slice(0, 3), [2000, 4000, 6000]);
  assert.deepEqual(steps[1], steps[0]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("examples refuse bad values before their banner (child processes)", async () => {
  const cases: [string, string[], RegExp][] = [
    ["a2c_pong.ts", ["--envs", "abc"], /numEnvs: got NaN, allowed an integer/],
    [
      "a2c_pong.ts",
      ["--net", "mlp"],
      /'--net <name>' argument 'mlp' is invalid\. Allowed choices are ff, lstm/,
    ],
    ["a2c_pong.ts", ["--target", "x"], /--target: got "x", allowed: a number/],
    ["a2c_cartpole.ts", ["--steps", "-5"], /totalSteps: got -5, allowed an integer/],
  ];
  for (const [file, args, message] of cases) {
    const path = new URL(`../../examples/${file}`, import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", path, ...args],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const out = await child.output();
    clearTimeout(timer);
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, `${file} ${args.join(" ")}: ${stdout}${stderr}`);
    assert.equal(stdout, "", `${file}: no banner before the check`);
    assert.match(stderr, message);
    assert.ok(!stderr.includes("    at "), "no stack trace");
  }
});
