/**
 * Compute pipelines from the bundled WGSL sources, cached per device, and bind groups built
 * from an ordered list of buffers.
 *
 * Convention for every kernel in `shaders/`: one bind group (group 0) whose bindings are
 * numbered 0, 1, 2, ... in the order the recorder passes its buffers; a uniform parameter
 * struct, when present, is binding 0.
 *
 * @module
 */

import type { Gpu } from "./device.ts";
import type { BufferRange } from "./buffers.ts";
import { SHADER_SOURCES } from "./shader_sources.ts";

const moduleCache = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();
const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

/** Names of all bundled shaders (paths under `shaders/` without `.wgsl`). */
export function shaderNames(): string[] {
  return Object.keys(SHADER_SOURCES);
}

/**
 * The value of `const NAME: u32 = Vu;` in a bundled shader: a tile size the WGSL's unrolled
 * code and workgroup arrays are written for, read here by the recorder that sizes the grid, so
 * the number is written once, in the shader. Throws when the shader has no such constant.
 *
 * @example
 * ```ts
 * import { shaderConstU32 } from "./pipelines.ts";
 * shaderConstU32("matmul", "BM"); // 128, the big kernel's tile edge
 * ```
 */
export function shaderConstU32(shader: string, name: string): number {
  const code = SHADER_SOURCES[shader] ?? "";
  const m = code.match(new RegExp(`^const ${name}: u32 = (\\d+)u;`, "m"));
  if (!m) throw new Error(`shader "${shader}" has no line "const ${name}: u32 = <n>u;"`);
  return Number(m[1]);
}

function shaderModule(gpu: Gpu, shader: string): GPUShaderModule {
  let perDevice = moduleCache.get(gpu.device);
  if (!perDevice) moduleCache.set(gpu.device, perDevice = new Map());
  let module = perDevice.get(shader);
  if (!module) {
    const code = SHADER_SOURCES[shader];
    if (code === undefined) {
      throw new Error(`unknown shader "${shader}"; bundled: ${shaderNames().join(", ")}`);
    }
    module = gpu.device.createShaderModule({ code, label: shader });
    perDevice.set(shader, module);
  }
  return module;
}

/**
 * Returns the compute pipeline for `entryPoint` of `shader`, with pipeline-overridable
 * constants `constants`, compiling it once per device. A WGSL error is thrown with the
 * shader, entry point and the compiler's messages.
 */
export function getPipeline(
  gpu: Gpu,
  shader: string,
  entryPoint: string,
  constants: Record<string, number> = {},
): Promise<GPUComputePipeline> {
  let perDevice = pipelineCache.get(gpu.device);
  if (!perDevice) pipelineCache.set(gpu.device, perDevice = new Map());
  const key = `${shader}:${entryPoint}:${JSON.stringify(constants)}`;
  let pipeline = perDevice.get(key);
  if (!pipeline) {
    pipeline = compile(gpu, shader, entryPoint, constants);
    perDevice.set(key, pipeline);
  }
  return pipeline;
}

async function compile(
  gpu: Gpu,
  shader: string,
  entryPoint: string,
  constants: Record<string, number>,
): Promise<GPUComputePipeline> {
  const module = shaderModule(gpu, shader);
  gpu.device.pushErrorScope("validation");
  let pipeline: GPUComputePipeline | undefined;
  let failure: unknown;
  try {
    pipeline = await gpu.device.createComputePipelineAsync({
      layout: "auto",
      label: `${shader}.${entryPoint}`,
      compute: { module, entryPoint, constants },
    });
  } catch (err) {
    failure = err;
  }
  const scoped = await gpu.device.popErrorScope();
  if (failure || scoped || !pipeline) {
    const info = await module.getCompilationInfo();
    const messages = info.messages.map((m) => `  ${m.type} ${m.lineNum}:${m.linePos} ${m.message}`);
    const reason = scoped?.message ??
      (failure instanceof Error ? failure.message : String(failure));
    throw new Error(
      `kernel ${shader}.${entryPoint}: pipeline creation failed: ${reason}\n${messages.join("\n")}`,
    );
  }
  return pipeline;
}

/**
 * Creates the bind group 0 of `pipeline` with `buffers` bound to bindings 0, 1, 2, ... in
 * order; an `undefined` entry leaves its binding out (for an entry point of a shared shader
 * that does not use it). `kernel` names the kernel in error messages.
 */
export function bindBuffers(
  gpu: Gpu,
  pipeline: GPUComputePipeline,
  buffers: readonly (BufferRange | undefined)[],
  kernel: string,
): GPUBindGroup {
  const entries: GPUBindGroupEntry[] = [];
  buffers.forEach((b, binding) => {
    if (b) entries.push({ binding, resource: b instanceof GPUBuffer ? { buffer: b } : { ...b } });
  });
  return gpu.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries,
    label: kernel,
  });
}
