/**
 * The Deno Worker entry of an actor-learner: waits for one {@link StartMessage}, runs the
 * learner loop synchronously on this thread until the global budget or the shared stop flag,
 * then posts a {@link WorkerReply} (`done`, or `error` with the message and stack). Workers
 * never open GPU devices. Started by the coordinator as
 * `new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" })`.
 *
 * @module
 */

import { runLearner } from "./learner.ts";
import type { StartMessage, WorkerReply } from "./shared.ts";

/** The parts of the worker global scope used here (typed without the worker lib). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<StartMessage>) => void) | null;
  postMessage(message: WorkerReply): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = (event) => {
  const { id, config, shared, faultAtStep } = event.data;
  try {
    const progress = runLearner(config, shared, id, { faultAtStep });
    scope.postMessage({ kind: "done", id, ...progress });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    scope.postMessage({ kind: "error", id, message: e.message, stack: e.stack });
  }
};
