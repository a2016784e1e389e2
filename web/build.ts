/**
 * Builds the page's scripts with `deno bundle --platform browser`: `web/app.ts` into
 * `web/dist/app.js` and the package's A3C worker entry (`src/algos/async/worker.ts`) into
 * `web/dist/a3c_worker.js`. Then checks each bundle for Deno-only APIs (see
 * {@link denoApiLeaks}) and fails, naming the source module, when one got in.
 *
 * `deno run -A web/build.ts` builds and checks; `deno task web` builds before serving.
 *
 * @module
 */

/** One bundle: its entry (from the repository root) and its output file in `web/dist/`. */
export interface WebBundle {
  /** Entry module, relative to the repository root. */
  readonly entry: string;
  /** Output file name in `web/dist/`. */
  readonly out: string;
}

/** The page's bundles. */
export const WEB_BUNDLES: readonly WebBundle[] = [
  { entry: "web/app.ts", out: "app.js" },
  { entry: "src/algos/async/worker.ts", out: "a3c_worker.js" },
];

/** The repository root. */
export const ROOT: URL = new URL("../", import.meta.url);
/** Where the bundles go. */
export const DIST: URL = new URL("dist/", import.meta.url);

/** A Deno-only API found in a bundle: the pattern, the source module and the line. */
export interface ApiLeak {
  /** What was found, e.g. "Deno." or "node:fs". */
  readonly what: string;
  /** The source module the bundler marked the code with (`// src/...`), or "?". */
  readonly module: string;
  /** The line of the bundle. */
  readonly line: string;
}

// The Deno namespace used in code (a property access, optional chain or element access), and
// imports that only Deno or Node resolve; a comment that mentions them is not code.
const LEAKS = [
  /\bDeno\s*(\?\.|\.|\[)/,
  /\bfrom\s*["'](node:|jsr:|npm:)[^"']*["']/,
  /\bimport\s*\(\s*["'](node:|jsr:|npm:)/,
  /\brequire\s*\(\s*["']node:/,
];

/**
 * The Deno-only APIs in the bundled JavaScript `text`: every use of the `Deno` namespace and
 * every `node:`, `jsr:` or `npm:` import left unresolved, each with the module the bundler's
 * `// path` comment says it came from. Comments are skipped.
 */
export function denoApiLeaks(text: string): ApiLeak[] {
  const leaks: ApiLeak[] = [];
  let module = "?";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const marker = line.match(/^\/\/ ((?:src|web|npm|node_modules)\/\S+|\S+\.(?:ts|js|json))$/);
    if (marker) {
      module = marker[1];
      continue;
    }
    if (line.startsWith("//") || line.startsWith("*") || line.startsWith("/*")) continue;
    const code = line.replace(/\/\/.*$/, "");
    for (const pattern of LEAKS) {
      const m = code.match(pattern);
      if (m) leaks.push({ what: m[0], module, line: line.slice(0, 160) });
    }
  }
  return leaks;
}

/**
 * Bundles every {@link WEB_BUNDLES} entry for the browser into `web/dist/` and checks each
 * for Deno-only APIs. Throws, naming the module and the line, when one leaked or when
 * `deno bundle` failed. Returns the output paths.
 */
export async function buildWeb(options: { quiet?: boolean } = {}): Promise<string[]> {
  await Deno.mkdir(DIST, { recursive: true });
  const outputs: string[] = [];
  for (const bundle of WEB_BUNDLES) {
    const out = new URL(bundle.out, DIST).pathname;
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "browser", "--format", "esm", "-o", out, bundle.entry],
      cwd: ROOT.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(result.stderr) + new TextDecoder().decode(result.stdout);
    if (!result.success) throw new Error(`deno bundle ${bundle.entry} failed:\n${log}`);
    if (!options.quiet) console.log(`bundled ${bundle.entry} -> web/dist/${bundle.out}`);
    const leaks = denoApiLeaks(await Deno.readTextFile(out));
    if (leaks.length) {
      throw new Error(
        `web/dist/${bundle.out}: Deno-only APIs reached the browser bundle (keep them out of ` +
          `the page's import graph):\n` +
          leaks.map((l) => `  ${l.what} from ${l.module}: ${l.line}`).join("\n"),
      );
    }
    outputs.push(out);
  }
  return outputs;
}

if (import.meta.main) {
  await buildWeb();
  console.log("no Deno-only API in the browser bundles");
}
