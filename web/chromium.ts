/**
 * Launches Debian's Chromium headless with WebGPU on (SwiftShader when there is no GPU),
 * through `playwright-core` (no browser download): for the page's test and its figures.
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";

/** Where Debian's `apt-get install -y chromium` puts the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** The launch flags measured to work on a machine without a GPU (a fresh profile each time). */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-unsafe-webgpu",
];

/** Whether Chromium is installed at {@link CHROMIUM_PATH}. */
export function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
}

/**
 * Launches headless Chromium (playwright gives it a fresh temporary `--user-data-dir`).
 * Throws, saying how to install it, when it is missing.
 */
export function launchChromium(options: { timeoutMs?: number } = {}): Promise<Browser> {
  if (!hasChromium()) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` ` +
        "(.ci/run does)",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: options.timeoutMs ?? 60_000,
  });
}
