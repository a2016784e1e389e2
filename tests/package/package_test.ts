import assert from "node:assert/strict";

/**
 * The package as a user gets it: a Deno workspace in a temporary folder (outside the repo)
 * with two members, `core/` holding exactly the files `deno publish` would include (the
 * package's deno.json keeps its name, exports and npm imports) and `app/` holding
 * tests/package/app.ts, which imports `@webgpu-rl/core` by name. Workspace members resolve
 * each other by name and each member's own bare specifiers through its own deno.json, as JSR
 * does.
 */
Deno.test("package: a user's program imports @webgpu-rl/core by name and trains Catch", async () => {
  const repo = new URL("../../", import.meta.url).pathname;
  const config = JSON.parse(await Deno.readTextFile(`${repo}deno.json`));
  const include: string[] = config.publish?.include ?? ["."];
  const excluded = (path: string) => path.endsWith("_test.ts");
  const root = await Deno.makeTempDir({ prefix: "webgpu-rl-package-" });
  const copy = async (from: string, to: string) => {
    const stat = await Deno.stat(from);
    if (stat.isDirectory) {
      await Deno.mkdir(to, { recursive: true });
      for await (const e of Deno.readDir(from)) await copy(`${from}/${e.name}`, `${to}/${e.name}`);
    } else if (!excluded(from)) {
      await Deno.copyFile(from, to);
    }
  };
  await Deno.mkdir(`${root}/core`, { recursive: true });
  for (const entry of include) {
    const from = `${repo}${entry.replace(/\/$/, "")}`;
    if (await Deno.stat(from).then(() => true, () => false)) {
      await copy(from, `${root}/core/${entry.replace(/\/$/, "")}`);
    }
  }
  await Deno.mkdir(`${root}/app`);
  await Deno.writeTextFile(`${root}/deno.json`, JSON.stringify({ workspace: ["./core", "./app"] }));
  await Deno.writeTextFile(`${root}/app/deno.json`, JSON.stringify({ name: "@example/app" }));
  await Deno.copyFile(new URL("./app.ts", import.meta.url), `${root}/app/main.ts`);

  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "app/main.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.match(stdout, /^trained catch on cpu: 800 steps, \d+ episodes, stop budget\n$/);
  await Deno.remove(root, { recursive: true });
});
