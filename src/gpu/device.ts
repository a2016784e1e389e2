/**
 * GPU acquisition and backend selection.
 *
 * `selectBackend("auto")` takes a real GPU when one exists and otherwise the CPU backend (the
 * TypeScript twins), and says which it chose and why. A software adapter (Mesa's llvmpipe,
 * about 1 GFLOP/s) is a valid WebGPU device, but `auto` does not pick it: the CPU twins are
 * faster there. Ask for `webgpu` explicitly to use it (the tests do).
 *
 * @module
 */

/** Which compute backend runs the kernels. */
export type BackendName = "webgpu" | "cpu";

/** What the user asks for: a backend by name, or `auto` to let the toolkit choose. */
export type BackendRequest = BackendName | "auto";

/** An open GPU device with what the toolkit needs to know about it. */
export interface Gpu {
  /** The WebGPU device; every buffer and pipeline of the toolkit is made on it. */
  readonly device: GPUDevice;
  /** Human-readable adapter name, e.g. "NVIDIA H100 80GB HBM3" or "llvmpipe (LLVM 15...)". */
  readonly description: string;
  /** True for a software rasteriser such as llvmpipe. */
  readonly isFallback: boolean;
  /** True when the device was created with the `timestamp-query` feature. */
  readonly hasTimestamps: boolean;
  /** The device's limits (the adapter's maxima were requested). */
  readonly limits: GPUSupportedLimits;
  /**
   * Errors raised asynchronously by the device (uncaptured validation errors, device loss).
   * The plan runner checks it after each submit and throws the first with its kernel name.
   */
  readonly errors: string[];
}

/** The outcome of backend selection: the backend, the GPU when it is `webgpu`, and why. */
export interface BackendChoice {
  /** The chosen backend. */
  readonly backend: BackendName;
  /** The GPU, present when `backend` is `webgpu`. */
  readonly gpu?: Gpu;
  /** One sentence saying why this backend was chosen, for logs and progress output. */
  readonly reason: string;
}

/** Raised when a GPU is required but none can be opened; the message says what was found. */
export class GpuUnavailableError extends Error {
  /** Creates the error; `message` says what was asked for and what was found. */
  constructor(message: string) {
    super(message);
    this.name = "GpuUnavailableError";
  }
}

/** Valid `backend` values, for error messages and CLI choices. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = ["auto", "webgpu", "cpu"];

let cachedGpu: Promise<Gpu | null> | undefined;

/**
 * Opens the default adapter's device with the adapter's maximum buffer and binding sizes and
 * `timestamp-query` when offered. Returns `null` when there is no adapter. The device is
 * opened once per process (per worker) and shared.
 */
export function openGpu(): Promise<Gpu | null> {
  cachedGpu ??= openGpuUncached();
  return cachedGpu;
}

async function openGpuUncached(): Promise<Gpu | null> {
  if (typeof navigator === "undefined" || !("gpu" in navigator)) return null;
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return null;
  }
  if (!adapter) return null;
  const features: GPUFeatureName[] = [];
  if (adapter.features.has("timestamp-query")) features.push("timestamp-query");
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  });
  const info = adapter.info;
  const errors: string[] = [];
  device.addEventListener("uncapturederror", (event) => {
    errors.push((event as GPUUncapturedErrorEvent).error.message);
  });
  device.lost.then((lost) => {
    if (lost.reason !== "destroyed") errors.push(`GPU device lost: ${lost.message}`);
  });
  return {
    device,
    // Browsers may leave description empty (Chromium: vendor "google", architecture
    // "swiftshader").
    description: info.description ||
      [info.vendor, info.architecture, info.device].filter(Boolean).join(" ") ||
      "unknown adapter",
    isFallback: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    hasTimestamps: features.includes("timestamp-query"),
    limits: device.limits,
    errors,
  };
}

/**
 * Chooses the compute backend.
 * - `cpu`: the TypeScript twins.
 * - `webgpu`: the GPU, any adapter including a software one; throws {@link GpuUnavailableError}
 *   with a clear message when there is none.
 * - `auto`: a hardware GPU when there is one, else the CPU, with the reason.
 */
export async function selectBackend(request: BackendRequest): Promise<BackendChoice> {
  if (!BACKEND_REQUESTS.includes(request)) {
    throw new RangeError(
      `backend: got ${JSON.stringify(request)}, allowed: ${BACKEND_REQUESTS.join(", ")}`,
    );
  }
  if (request === "cpu") return { backend: "cpu", reason: "the CPU backend was asked for" };
  const gpu = await openGpu();
  if (request === "webgpu") {
    if (!gpu) {
      throw new GpuUnavailableError(
        "backend webgpu: no WebGPU adapter found (navigator.gpu.requestAdapter() returned " +
          "null); use --backend cpu or auto",
      );
    }
    return { backend: "webgpu", gpu, reason: `WebGPU was asked for; adapter: ${gpu.description}` };
  }
  if (!gpu) return { backend: "cpu", reason: "no WebGPU adapter found; using the CPU twins" };
  if (gpu.isFallback) {
    return {
      backend: "cpu",
      reason: `the only WebGPU adapter is a software fallback (${gpu.description}); ` +
        "the CPU twins are faster there (ask for --backend webgpu to use it anyway)",
    };
  }
  return { backend: "webgpu", gpu, reason: `hardware GPU found: ${gpu.description}` };
}
