/**
 * Checkpoints in the safetensors format (https://github.com/huggingface/safetensors), readable
 * by `safetensors.torch.load_file` and friends.
 *
 * The format: 8 bytes, the header length N as a little-endian u64; N bytes of UTF-8 JSON, an
 * object mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` plus an
 * optional `"__metadata__"` object of string values, padded with spaces so that the data
 * starts at a multiple of 8 bytes; then the data, each tensor's bytes (row-major, little-
 * endian) at `[begin, end)` relative to the start of the data. This module writes and reads
 * `F32` tensors only.
 *
 * A checkpoint of a model holds one tensor per entry of its {@link ParamLayout} (padding is
 * not stored) and may hold extra tensor groups whose names carry a prefix, e.g. the
 * optimizer state as `optim.*` (see `optimizerStateTensors` in `optim.ts`). Saving writes
 * `path.tmp` and renames it over `path`, so a crash never leaves a half-written checkpoint at
 * `path`; loading decodes and checks everything before it writes a single float.
 *
 * @module
 */

import { type NamedTensor, type ParamLayout, shapeSize } from "./params.ts";

export type { NamedTensor } from "./params.ts";

/** A decoded safetensors file: its tensors in file order and its metadata. */
export interface SafetensorsFile {
  /** Tensors, in the order of their data offsets. */
  readonly tensors: NamedTensor[];
  /** The `__metadata__` object (empty when absent). */
  readonly metadata: Record<string, string>;
}

/** The largest header this module accepts, as the reference implementation: 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

const SUPPORTED_DTYPES = ["F32"];

function checkTensorShape(where: string, name: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new RangeError(
      `${where}: tensor "${name}" has shape ${JSON.stringify(shape)}; ` +
        "the shape must be a list of non-negative integers",
    );
  }
  return shape as number[];
}

/**
 * Encodes `tensors` and `metadata` as the bytes of a safetensors file, byte for byte as the
 * reference implementation writes them: compact JSON with `__metadata__` first (when not
 * empty), then the tensors sorted by name, each with `dtype`, `shape`, `data_offsets`; the
 * header padded with spaces to a multiple of 8 bytes; the data in the same order. Throws a
 * RangeError naming the tensor for an empty, reserved or duplicate name, a bad shape, or
 * data whose length does not match the shape, and naming the key for a non-string metadata
 * value.
 */
export function encodeSafetensors(
  tensors: readonly NamedTensor[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const where = "safetensors.encode";
  tensors = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      throw new RangeError(
        `${where}: metadata "${key}" is ${typeof value} ${String(value)}; values must be strings`,
      );
    }
  }
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const t of tensors) {
    if (typeof t.name !== "string" || t.name.length === 0 || t.name === "__metadata__") {
      throw new RangeError(`${where}: bad tensor name ${JSON.stringify(t.name)}`);
    }
    if (Object.hasOwn(header, t.name)) {
      throw new RangeError(`${where}: duplicate tensor name "${t.name}"`);
    }
    const shape = checkTensorShape(where, t.name, t.shape);
    const count = shapeSize(shape);
    if (!(t.data instanceof Float32Array) || t.data.length !== count) {
      throw new RangeError(
        `${where}: tensor "${t.name}" has ${t.data?.length} values, its shape ` +
          `[${shape.join(", ")}] needs ${count} (Float32Array)`,
      );
    }
    header[t.name] = {
      dtype: "F32",
      shape: [...shape],
      data_offsets: [offset, offset + count * 4],
    };
    offset += count * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20); // spaces
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  if (!LITTLE_ENDIAN) swap32(out.subarray(8 + json.length));
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function swap32(bytes: Uint8Array): void {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const a = bytes[i], b = bytes[i + 1];
    bytes[i] = bytes[i + 3];
    bytes[i + 1] = bytes[i + 2];
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

/**
 * Decodes a safetensors file. Validates everything and throws an Error starting with
 * "safetensors:" that says what is wrong: a file shorter than its 8-byte length prefix, a
 * header length beyond the file (truncated) or over {@link MAX_HEADER_BYTES}, a header that is
 * not a JSON object, an entry without a valid dtype, shape or data_offsets, a dtype other
 * than F32, data_offsets whose byte count does not match the shape, offsets beyond the data,
 * overlapping tensors, gaps, or bytes after the last tensor. The tensors' data are copies.
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new Error(`safetensors: ${msg}`);
  };
  if (bytes.length < 8) {
    fail(`file of ${bytes.length} bytes is truncated: it must start with an 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength64 = view.getBigUint64(0, true);
  if (headerLength64 > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${headerLength64} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  const headerLength = Number(headerLength64);
  if (8 + headerLength > bytes.length) {
    fail(
      `header length ${headerLength} reaches beyond the end of the file (${bytes.length} bytes): ` +
        "the file is truncated or not safetensors",
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail("the header is not valid UTF-8");
  }
  if (!text.startsWith("{")) fail("the header must be a JSON object starting with '{'");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    return fail(`the header is not valid JSON: ${(err as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    fail("the header is not a JSON object");
  }
  const entries = header as Record<string, unknown>;
  const metadata: Record<string, string> = {};
  if (Object.hasOwn(entries, "__metadata__")) {
    const m = entries.__metadata__;
    if (m === null || typeof m !== "object" || Array.isArray(m)) {
      fail("__metadata__ must be an object of string values");
    }
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      if (typeof v !== "string") fail(`__metadata__ "${k}" is not a string`);
      metadata[k] = v as string;
    }
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const placed: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(entries)) {
    if (name === "__metadata__") continue;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      fail(`tensor "${name}": the entry is not an object`);
    }
    const e = raw as Record<string, unknown>;
    if (typeof e.dtype !== "string") fail(`tensor "${name}": missing dtype`);
    if (!SUPPORTED_DTYPES.includes(e.dtype as string)) {
      fail(
        `tensor "${name}": dtype ${JSON.stringify(e.dtype)} is not supported ` +
          `(supported: ${SUPPORTED_DTYPES.join(", ")})`,
      );
    }
    let shape: number[];
    try {
      shape = checkTensorShape("safetensors", name, e.shape);
    } catch (err) {
      return fail((err as Error).message.replace(/^safetensors: /, ""));
    }
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      offsets.some((o) => !Number.isSafeInteger(o) || o < 0) || offsets[0] > offsets[1]
    ) {
      fail(
        `tensor "${name}": data_offsets ${JSON.stringify(offsets)} must be [begin, end] with ` +
          "0 <= begin <= end",
      );
    }
    const [begin, end] = offsets as number[];
    const expected = shapeSize(shape) * 4;
    if (end - begin !== expected) {
      fail(
        `tensor "${name}": data_offsets [${begin}, ${end}] hold ${end - begin} bytes, ` +
          `shape [${shape.join(", ")}] of F32 needs ${expected}`,
      );
    }
    if (end > dataLength) {
      fail(
        `tensor "${name}": data_offsets [${begin}, ${end}] are out of range: the data has ` +
          `${dataLength} bytes (truncated file?)`,
      );
    }
    placed.push({ name, shape, begin, end });
  }
  placed.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (let i = 0; i < placed.length; i++) {
    const t = placed[i];
    if (t.begin < expectedBegin) {
      fail(
        `tensor "${t.name}" at [${t.begin}, ${t.end}] overlaps tensor "${placed[i - 1].name}" ` +
          `at [${placed[i - 1].begin}, ${placed[i - 1].end}]`,
      );
    }
    if (t.begin > expectedBegin) {
      fail(`a gap of ${t.begin - expectedBegin} bytes before tensor "${t.name}" in the data`);
    }
    expectedBegin = t.end;
  }
  if (expectedBegin !== dataLength) {
    fail(`${dataLength - expectedBegin} bytes after the last tensor's data`);
  }
  const tensors = placed.map(({ name, shape, begin, end }) => {
    const copy = bytes.slice(dataStart + begin, dataStart + end);
    if (!LITTLE_ENDIAN) swap32(copy);
    return { name, shape, data: new Float32Array(copy.buffer, 0, (end - begin) / 4) };
  });
  return { tensors, metadata };
}

/**
 * The tensors of a flat parameter vector `params` [layout.size], one per layout entry (a
 * copy, padding left out), in layout order.
 */
export function layoutTensors(layout: ParamLayout, params: Float32Array): NamedTensor[] {
  if (params.length !== layout.size) {
    throw new RangeError(
      `checkpoint: params has ${params.length} floats, the layout needs ${layout.size}`,
    );
  }
  return layout.tensors.map((t) => ({
    name: t.name,
    shape: t.shape,
    data: params.slice(t.offset, t.offset + t.length),
  }));
}

/**
 * Writes `bytes` to `path` atomically: writes and syncs `path.tmp`, then renames it over
 * `path`. When anything fails the previous file at `path` is untouched (and a partly
 * written `path.tmp` file is removed).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  let file: Deno.FsFile | undefined;
  let created = false;
  try {
    file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    created = true;
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.syncData();
    file.close();
    file = undefined;
    await Deno.rename(tmp, path);
  } catch (err) {
    file?.close();
    if (created) await Deno.remove(tmp).catch(() => {});
    throw new Error(`checkpoint: could not write ${path} (via ${tmp}): ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Encodes the parameters `params` [layout.size] as the bytes of a safetensors checkpoint, one
 * tensor per layout entry, plus `extra` tensors (e.g. the optimizer state as `optim.*`) and
 * `metadata` (string values). Refuses when a parameter or an extra tensor is NaN or infinite
 * (or an optimizer mean square negative); `where` names the destination in that message. No
 * file IO: the browser page downloads these bytes, {@link saveCheckpoint} writes them.
 */
export function encodeCheckpoint(
  layout: ParamLayout,
  params: Float32Array,
  metadata: Record<string, string> = {},
  extra: readonly NamedTensor[] = [],
  where = "the checkpoint",
): Uint8Array {
  for (const t of extra) {
    if (layout.tensors.some((p) => p.name === t.name)) {
      throw new RangeError(`checkpoint: extra tensor "${t.name}" has the name of a parameter`);
    }
  }
  for (const t of layout.tensors) {
    for (let i = 0; i < t.length; i++) {
      const v = params[t.offset + i];
      if (!Number.isFinite(v)) {
        throw new Error(
          `checkpoint: not written to ${where}: parameter ${t.name}[${i}] is ${v}; the ` +
            "previous checkpoint is kept",
        );
      }
    }
  }
  for (const t of extra) {
    const bad = badTensorValue(t);
    if (bad) {
      throw new Error(
        `checkpoint: not written to ${where}: ${bad}; the previous checkpoint is kept`,
      );
    }
  }
  return encodeSafetensors([...layoutTensors(layout, params), ...extra], metadata);
}

/**
 * Saves the parameters `params` [layout.size] as a safetensors checkpoint at `path`, one
 * tensor per layout entry, plus `extra` tensors (e.g. the optimizer state as `optim.*`) and
 * `metadata` (string values). Atomic (see {@link writeFileAtomic}). Refuses, writing nothing, when
 * a parameter or an extra tensor is NaN or infinite (or an optimizer mean square negative),
 * so the last good checkpoint at `path` is never replaced by a broken one.
 */
export async function saveCheckpoint(
  path: string,
  layout: ParamLayout,
  params: Float32Array,
  metadata: Record<string, string> = {},
  extra: readonly NamedTensor[] = [],
): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(layout, params, metadata, extra, path));
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /**
   * Name prefixes of the extra tensor groups a checkpoint may hold besides the parameters;
   * any other tensor not in the layout is refused. Default `["optim."]`.
   */
  readonly extraPrefixes?: readonly string[];
  /**
   * Extra tensors that must be present with these shapes (e.g. `optimizerStateSpecs(...)`),
   * checked with the parameters before anything is written.
   */
  readonly requireExtra?: readonly { readonly name: string; readonly shape: readonly number[] }[];
  /**
   * Where to write the parameters ([layout.size], e.g. a live or shared vector); written only
   * after every check has passed. Default: a new zeroed array.
   */
  readonly into?: Float32Array;
}

/** A loaded checkpoint: parameters in the requested layout, extra tensors and metadata. */
export interface Checkpoint {
  /** The parameters, flat [layout.size] (padding 0 when newly allocated). */
  readonly params: Float32Array;
  /** Tensors of the extra groups (e.g. `optim.*`), in file order. */
  readonly extra: NamedTensor[];
  /** The file's metadata. */
  readonly metadata: Record<string, string>;
}

/** Optimizer slots that hold mean squares (RMSProp g, Adam v): never negative. */
const MEAN_SQUARE_PREFIXES = ["optim.square_avg.", "optim.exp_avg_sq."];

/**
 * The first bad number of a tensor: NaN or ±∞ anywhere, or a negative mean square in an
 * optimizer slot that holds one; undefined when every value is good.
 */
export function badTensorValue(t: NamedTensor): string | undefined {
  const meanSquare = MEAN_SQUARE_PREFIXES.some((p) => t.name.startsWith(p));
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!Number.isFinite(v)) return `tensor "${t.name}" holds ${v} at index ${i}`;
    if (meanSquare && v < 0) {
      return `tensor "${t.name}" holds ${v} at index ${i}, a mean square (never negative)`;
    }
  }
  return undefined;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Loads the safetensors checkpoint at `path` into `layout`. Refuses (with an Error starting
 * "checkpoint:") a missing file, a corrupt or truncated one, a parameter of the layout the
 * file lacks, a tensor in the file that is neither a parameter nor in an extra group, a
 * missing required extra tensor, a shape mismatch (naming the tensor and both shapes), and a
 * NaN, ±∞ or negative optimizer mean square in any tensor (naming the tensor and index).
 * Everything is decoded and checked before the destination is written, so a failed load
 * never leaves a half-loaded model.
 *
 * To restore a whole training state atomically, load into fresh arrays, restore the
 * optimizer state from `extra` (`restoreOptimizerState` in `optim.ts`), and only then copy
 * both into the live buffers.
 */
export async function loadCheckpoint(
  path: string,
  layout: ParamLayout,
  options: LoadCheckpointOptions = {},
): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`checkpoint: no file at ${path}`, { cause: err });
    }
    throw new Error(`checkpoint: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let file: SafetensorsFile;
  try {
    file = decodeSafetensors(bytes);
  } catch (err) {
    throw new Error(`checkpoint: ${path}: ${(err as Error).message}`, { cause: err });
  }
  return checkpointFromFile(path, file, layout, options);
}

/**
 * The checks and placement of {@link loadCheckpoint} on an already decoded file (`source`
 * names it in errors).
 */
export function checkpointFromFile(
  source: string,
  file: SafetensorsFile,
  layout: ParamLayout,
  options: LoadCheckpointOptions = {},
): Checkpoint {
  const prefixes = options.extraPrefixes ?? ["optim."];
  const fail = (msg: string): never => {
    throw new Error(`checkpoint: ${source}: ${msg}`);
  };
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const missing = layout.tensors.filter((t) => !byName.has(t.name)).map((t) => t.name);
  if (missing.length > 0) fail(`missing parameter tensors: ${missing.join(", ")}`);
  const extra: NamedTensor[] = [];
  for (const t of file.tensors) {
    const placed = layout.tensors.find((p) => p.name === t.name);
    if (placed) {
      if (!sameShape(placed.shape, t.shape)) {
        fail(
          `tensor "${t.name}" has shape [${t.shape.join(", ")}] in the file, the layout ` +
            `expects [${placed.shape.join(", ")}]`,
        );
      }
    } else if (prefixes.some((p) => t.name.startsWith(p))) {
      extra.push(t);
    } else {
      fail(
        `unexpected tensor "${t.name}" (not a parameter of the layout, and not in an extra ` +
          `group ${prefixes.map((p) => `"${p}*"`).join(", ") || "(none allowed)"})`,
      );
    }
  }
  for (const req of options.requireExtra ?? []) {
    const t = byName.get(req.name);
    if (!t) fail(`missing tensor "${req.name}"`);
    else if (!sameShape(t.shape, req.shape)) {
      fail(
        `tensor "${req.name}" has shape [${t.shape.join(", ")}] in the file, expected ` +
          `[${req.shape.join(", ")}]`,
      );
    }
  }
  // Numbers: a valid header over NaN, ±∞ or a negative mean square is refused too.
  for (const t of file.tensors) {
    const bad = badTensorValue(t);
    if (bad) fail(`${bad}; nothing was loaded or changed`);
  }
  const into = options.into;
  if (into && into.length !== layout.size) {
    fail(`the destination has ${into.length} floats, the layout needs ${layout.size}`);
  }
  // Every check has passed: only now touch the destination.
  const params = into ?? new Float32Array(layout.size);
  for (const p of layout.tensors) params.set(byName.get(p.name)!.data, p.offset);
  return { params, extra, metadata: file.metadata };
}
