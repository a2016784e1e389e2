/**
 * `deno task web`: builds the page's bundles (`web/build.ts`) and serves `web/` on localhost,
 * printing its address. Every response carries `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp` (and `Cross-Origin-Resource-Policy:
 * same-origin`), so the page is cross-origin isolated and may use `SharedArrayBuffer` (A3C's
 * Web Workers); `--no-isolation` leaves them out, to see the page say it is not isolated.
 *
 * ```sh
 * deno task web                   # http://localhost:8000/
 * deno task web --port 0          # any free port
 * ```
 *
 * @module
 */

import { buildWeb } from "./build.ts";

const WEB = new URL("./", import.meta.url);

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  css: "text/css",
};

/** Options of {@link serveWeb}. */
export interface ServeOptions {
  /** Port; 0 picks a free one. Default 8000. */
  readonly port?: number;
  /** Host name to listen on; default "127.0.0.1". */
  readonly hostname?: string;
  /** Send the cross-origin isolation headers; default true. */
  readonly isolate?: boolean;
  /** Build the bundles first; default true. */
  readonly build?: boolean;
  /** Stops the server when aborted. */
  readonly signal?: AbortSignal;
}

/** A running page server. */
export interface WebServer {
  /** The page's address, e.g. `http://127.0.0.1:8000/`. */
  readonly url: string;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops the server. */
  shutdown(): Promise<void>;
}

/** Serves `web/` (after building the bundles unless `build: false`). */
export async function serveWeb(options: ServeOptions = {}): Promise<WebServer> {
  if (options.build ?? true) await buildWeb({ quiet: true });
  const isolate = options.isolate ?? true;
  const hostname = options.hostname ?? "127.0.0.1";
  let resolveUrl!: (url: string) => void;
  const listening = new Promise<string>((resolve) => (resolveUrl = resolve));
  const server = Deno.serve({
    port: options.port ?? 8000,
    hostname,
    signal: options.signal,
    onListen: ({ port }) => resolveUrl(`http://${hostname}:${port}/`),
  }, async (request) => {
    const headers = new Headers({ "Cache-Control": "no-store" });
    if (isolate) {
      headers.set("Cross-Origin-Opener-Policy", "same-origin");
      headers.set("Cross-Origin-Embedder-Policy", "require-corp");
      headers.set("Cross-Origin-Resource-Policy", "same-origin");
    }
    let path = decodeURIComponent(new URL(request.url).pathname);
    if (path.endsWith("/")) path += "index.html";
    // Only the page, its bundles and its pictures; nothing else of the repository.
    if (!/^\/(index\.html|dist\/[\w.-]+\.js|[\w.-]+\.(png|svg))$/.test(path)) {
      return new Response("not found", { status: 404, headers });
    }
    try {
      const body = await Deno.readFile(new URL(`.${path}`, WEB));
      headers.set("Content-Type", TYPES[path.split(".").pop()!] ?? "application/octet-stream");
      return new Response(body, { headers });
    } catch {
      return new Response("not found", { status: 404, headers });
    }
  });
  return {
    url: await listening,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const args = [...Deno.args];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args.splice(i, 2)[1];
  };
  const port = Number(flag("--port") ?? 8000);
  const hostname = flag("--host") ?? "127.0.0.1";
  const isolate = !args.includes("--no-isolation");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port: got ${port}, allowed an integer in [0, 65535]`);
    Deno.exit(2);
  }
  const server = await serveWeb({ port, hostname, isolate });
  console.log(
    `webgpu-rl page: ${server.url}` +
      (isolate ? " (cross-origin isolated)" : " (not isolated: A3C is off)"),
  );
  await server.finished;
}
