import assert from "node:assert/strict";
import { makeLayout, type TensorSpec } from "../../src/nn/params.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  loadCheckpoint,
  type NamedTensor,
  saveCheckpoint,
} from "../../src/nn/safetensors.ts";

const f32 = (...v: number[]) => new Float32Array(v);

/** A file from a header text (not padded) and data bytes, as a foreign writer might make. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// Test vectors of the reference implementation (huggingface/safetensors, tensor.rs tests).
const REF_ATTN_DOT_0 = [
  64,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  123,
  34,
  97,
  116,
  116,
  110,
  46,
  48,
  34,
  58,
  123,
  34,
  100,
  116,
  121,
  112,
  101,
  34,
  58,
  34,
  70,
  51,
  50,
  34,
  44,
  34,
  115,
  104,
  97,
  112,
  101,
  34,
  58,
  91,
  49,
  44,
  50,
  44,
  51,
  93,
  44,
  34,
  100,
  97,
  116,
  97,
  95,
  111,
  102,
  102,
  115,
  101,
  116,
  115,
  34,
  58,
  91,
  48,
  44,
  50,
  52,
  93,
  125,
  125,
  0,
  0,
  0,
  0,
  0,
  0,
  128,
  63,
  0,
  0,
  0,
  64,
  0,
  0,
  64,
  64,
  0,
  0,
  128,
  64,
  0,
  0,
  160,
  64,
];
const REF_ATTN0_PADDED = [
  72,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  123,
  34,
  97,
  116,
  116,
  110,
  48,
  34,
  58,
  123,
  34,
  100,
  116,
  121,
  112,
  101,
  34,
  58,
  34,
  70,
  51,
  50,
  34,
  44,
  34,
  115,
  104,
  97,
  112,
  101,
  34,
  58,
  91,
  49,
  44,
  49,
  44,
  50,
  44,
  51,
  93,
  44,
  34,
  100,
  97,
  116,
  97,
  95,
  111,
  102,
  102,
  115,
  101,
  116,
  115,
  34,
  58,
  91,
  48,
  44,
  50,
  52,
  93,
  125,
  125,
  32,
  32,
  32,
  32,
  32,
  32,
  32,
  0,
  0,
  0,
  0,
  0,
  0,
  128,
  63,
  0,
  0,
  0,
  64,
  0,
  0,
  64,
  64,
  0,
  0,
  128,
  64,
  0,
  0,
  160,
  64,
];
const REF_EMPTY = [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32];
const REF_EMPTY_METADATA = [
  40,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  123,
  34,
  95,
  95,
  109,
  101,
  116,
  97,
  100,
  97,
  116,
  97,
  95,
  95,
  34,
  58,
  123,
  34,
  102,
  114,
  97,
  109,
  101,
  119,
  111,
  114,
  107,
  34,
  58,
  34,
  112,
  116,
  34,
  125,
  125,
  32,
  32,
  32,
  32,
  32,
];

Deno.test("safetensors: bytes identical to the reference implementation's test vectors", () => {
  const data = f32(0, 1, 2, 3, 4, 5);
  assert.deepEqual(
    Array.from(encodeSafetensors([{ name: "attn.0", shape: [1, 2, 3], data }])),
    REF_ATTN_DOT_0,
  );
  assert.deepEqual(
    Array.from(encodeSafetensors([{ name: "attn0", shape: [1, 1, 2, 3], data }])),
    REF_ATTN0_PADDED,
  );
  assert.deepEqual(Array.from(encodeSafetensors([])), REF_EMPTY);
  assert.deepEqual(Array.from(encodeSafetensors([], { framework: "pt" })), REF_EMPTY_METADATA);
  const decoded = decodeSafetensors(new Uint8Array(REF_ATTN0_PADDED));
  assert.deepEqual(decoded.tensors, [{ name: "attn0", shape: [1, 1, 2, 3], data }]);
  assert.deepEqual(decodeSafetensors(new Uint8Array(REF_EMPTY_METADATA)), {
    tensors: [],
    metadata: { framework: "pt" },
  });
});

Deno.test("safetensors: header layout by the spec (u64 LE length, JSON, 8-byte padding)", () => {
  const bytes = encodeSafetensors(
    [
      { name: "w", shape: [2, 2], data: f32(1, 2, 3, 4) },
      { name: "b", shape: [3], data: f32(-1, 0.5, 7) },
    ],
    { step: "12" },
  );
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0, "the data starts 8-byte aligned");
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  // Sorted by name as the reference writes it; compact JSON; spaces after.
  const expected = '{"__metadata__":{"step":"12"},' +
    '"b":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},' +
    '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[12,28]}}';
  assert.equal(header.trimEnd(), expected);
  assert.equal(header.length - expected.length, (8 - expected.length % 8) % 8);
  assert.match(header.slice(expected.length), /^ *$/);
  assert.equal(bytes.length, 8 + n + 28);
  assert.deepEqual(
    Array.from(bytes.subarray(8 + n)),
    [...bytesOf(f32(-1, 0.5, 7)), ...bytesOf(f32(1, 2, 3, 4))],
  );
});

Deno.test("safetensors: round trip of scalars, empty tensors, metadata; copies data", () => {
  const tensors: NamedTensor[] = [
    { name: "z", shape: [0, 3], data: f32() },
    { name: "scalar", shape: [], data: f32(3.5) },
    { name: "m", shape: [2, 3], data: f32(1, -2, 3e-30, 4e30, Number.NaN, -0) },
  ];
  const bytes = encodeSafetensors(tensors, { a: "1", "ü": "ßtext" });
  const out = decodeSafetensors(bytes);
  assert.deepEqual(out.metadata, { a: "1", "ü": "ßtext" });
  const byName = Object.fromEntries(out.tensors.map((t) => [t.name, t]));
  for (const t of tensors) {
    assert.deepEqual(byName[t.name].shape, t.shape);
    assert.deepEqual(Array.from(byName[t.name].data), Array.from(t.data), t.name);
  }
  bytes.fill(0);
  assert.equal(byName.scalar.data[0], 3.5, "decoded data does not alias the file bytes");
});

Deno.test("safetensors: reads a foreign file (any key order, unpadded header, unaligned data)", () => {
  const data = new Uint8Array([...bytesOf(f32(9, 8)), ...bytesOf(f32(1))]);
  const file = rawFile(
    '{ "b" : {"shape":[1], "data_offsets":[8,12], "dtype":"F32"},\n' +
      ' "a": {"data_offsets":[0,8],"dtype":"F32","shape":[2]}, "__metadata__": {"x": "y"} }',
    data,
  );
  const out = decodeSafetensors(file);
  assert.deepEqual(out.tensors.map((t) => t.name), ["a", "b"], "in data order");
  assert.deepEqual(Array.from(out.tensors[0].data), [9, 8]);
  assert.deepEqual(Array.from(out.tensors[1].data), [1]);
  assert.deepEqual(out.metadata, { x: "y" });
});

Deno.test("safetensors: every corruption is refused with its message", () => {
  const good = encodeSafetensors([{ name: "a", shape: [2], data: f32(1, 2) }]);
  const f8 = new Uint8Array(8);
  const ab = (a: string, b: string) => ({ a, b });
  const cases: { bytes: Uint8Array; error: RegExp }[] = [
    { bytes: good.subarray(0, 5), error: /5 bytes is truncated: it must start with an 8-byte/ },
    { bytes: good.subarray(0, 20), error: /header length \d+ reaches beyond the end of the file/ },
    {
      bytes: good.subarray(0, good.length - 4),
      error: /tensor "a": data_offsets \[0, 8\] are out of range: the data has 4 bytes/,
    },
    {
      bytes: (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
        return b;
      })(),
      error: /header length 1099511627776 exceeds the limit/,
    },
    { bytes: f8, error: /must be a JSON object starting with '\{'/ }, // header length 0
    {
      bytes: new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xff, 0x7d]),
      error: /the header is not valid UTF-8/,
    },
    { bytes: rawFile("[1, 2]"), error: /must be a JSON object starting with '\{'/ },
    { bytes: rawFile('{"a": {'), error: /the header is not valid JSON/ },
    { bytes: rawFile('{"a": 3}'), error: /tensor "a": the entry is not an object/ },
    {
      bytes: rawFile('{"a": {"shape": [2], "data_offsets": [0, 8]}}', new Uint8Array(8)),
      error: /tensor "a": missing dtype/,
    },
    {
      bytes: rawFile('{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}', f8),
      error: /tensor "a": dtype "F16" is not supported \(supported: F32\)/,
    },
    {
      bytes: rawFile('{"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}', f8),
      error: /tensor "a" has shape \[-2\]/,
    },
    {
      bytes: rawFile('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}', f8),
      error: /tensor "a": data_offsets \[8,0\] must be \[begin, end\]/,
    },
    {
      bytes: rawFile('{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}', f8),
      error: /tensor "a": data_offsets \[0, 8\] hold 8 bytes, shape \[3\] of F32 needs 12/,
    },
    {
      bytes: rawFile(
        JSON.stringify({
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
          b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
        }),
        new Uint8Array(12),
      ),
      error: /tensor "b" at \[4, 12\] overlaps tensor "a" at \[0, 8\]/,
    },
    {
      bytes: rawFile(
        JSON.stringify({
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
          b: { dtype: "F32", shape: [2], data_offsets: [12, 20] },
        }),
        new Uint8Array(20),
      ),
      error: /a gap of 4 bytes before tensor "b"/,
    },
    {
      bytes: new Uint8Array([...good, 0, 0, 0, 0]),
      error: /4 bytes after the last tensor's data/,
    },
    {
      bytes: rawFile(JSON.stringify({ __metadata__: { k: 1 } })),
      error: /__metadata__ "k" is not a string/,
    },
    {
      bytes: rawFile(JSON.stringify({ __metadata__: ab("x", "y"), a: [] })),
      error: /tensor "a": the entry is not an object/,
    },
  ];
  for (const { bytes, error } of cases) {
    assert.throws(() => decodeSafetensors(bytes), (err: Error) => {
      assert.match(err.message, /^safetensors: /);
      assert.match(err.message, error);
      return true;
    });
  }
});

Deno.test("safetensors: encode refuses bad names, shapes, lengths and metadata", () => {
  const t = { name: "a", shape: [2], data: f32(1, 2) };
  assert.throws(() => encodeSafetensors([t, t]), /duplicate tensor name "a"/);
  assert.throws(() => encodeSafetensors([{ ...t, name: "__metadata__" }]), /bad tensor name/);
  assert.throws(() => encodeSafetensors([{ ...t, name: "" }]), /bad tensor name/);
  assert.throws(
    () => encodeSafetensors([{ ...t, shape: [3] }]),
    /tensor "a" has 2 values, its shape \[3\] needs 3/,
  );
  assert.throws(() => encodeSafetensors([{ ...t, shape: [1.5] }]), /tensor "a" has shape \[1.5\]/);
  assert.throws(
    () => encodeSafetensors([t], { k: 3 as unknown as string }),
    /metadata "k" is number 3; values must be strings/,
  );
});

// ---------------------------------------------------------------------------------------------
// Checkpoints

const SPECS: TensorSpec[] = [
  { name: "fc.weight", shape: [7, 13], fanIn: 13 },
  { name: "fc.bias", shape: [7], fanIn: 13 },
];

function filledParams(size: number, seed: number): Float32Array {
  const p = new Float32Array(size);
  for (let i = 0; i < size; i++) p[i] = Math.sin(i * 1.7 + seed);
  return p;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "safetensors_test" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("checkpoint: save and load round trip with metadata and extra tensors", async () => {
  await withDir(async (dir) => {
    const layout = makeLayout(SPECS);
    const params = filledParams(layout.size, 1);
    const extra = [{
      name: "optim.square_avg.fc.bias",
      shape: [7],
      data: f32(1, 2, 3, 4, 5, 6, 7),
    }];
    const path = `${dir}/model.safetensors`;
    await saveCheckpoint(path, layout, params, { iteration: "5" }, extra);
    const bytes = await Deno.readFile(path);
    assert.deepEqual(
      decodeSafetensors(bytes).tensors.map((t) => t.name),
      ["fc.bias", "fc.weight", "optim.square_avg.fc.bias"],
      "one tensor per layout entry, padding not stored",
    );
    const ckpt = await loadCheckpoint(path, layout);
    assert.deepEqual(ckpt.metadata, { iteration: "5" });
    for (const t of layout.tensors) {
      assert.deepEqual(
        ckpt.params.subarray(t.offset, t.offset + t.length),
        params.subarray(t.offset, t.offset + t.length),
        t.name,
      );
    }
    assert.ok(ckpt.params.subarray(91, 128).every((x) => x === 0), "padding is 0");
    assert.deepEqual(ckpt.extra, extra);
    const into = new Float32Array(new SharedArrayBuffer(layout.size * 4));
    const again = await loadCheckpoint(path, layout, { into });
    assert.equal(again.params, into);
    assert.equal(into[3], params[3]);
    await assert.rejects(
      () =>
        saveCheckpoint(path, layout, params, {}, [{ name: "fc.bias", shape: [], data: f32(1) }]),
      /extra tensor "fc.bias" has the name of a parameter/,
    );
  });
});

Deno.test("checkpoint: refusals name the tensor and both shapes; never half-loaded", async () => {
  await withDir(async (dir) => {
    const layout = makeLayout(SPECS);
    const path = `${dir}/model.safetensors`;
    await saveCheckpoint(path, layout, filledParams(layout.size, 2), {}, [
      { name: "optim.step_hint", shape: [1], data: f32(3) },
    ]);
    const sentinel = () => new Float32Array(layout.size).fill(-7);
    const refuse = async (
      p: string,
      l: ReturnType<typeof makeLayout>,
      error: RegExp,
      options = {},
    ) => {
      const into = l.size === layout.size ? sentinel() : undefined;
      await assert.rejects(() => loadCheckpoint(p, l, { ...options, into }), (err: Error) => {
        assert.match(err.message, /^checkpoint: /);
        assert.match(err.message, error);
        return true;
      });
      if (into) assert.ok(into.every((x) => x === -7), `destination untouched (${error})`);
    };
    await refuse(`${dir}/absent.safetensors`, layout, /no file at .*absent\.safetensors/);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(`${dir}/cut.safetensors`, bytes.subarray(0, bytes.length - 10));
    await refuse(`${dir}/cut.safetensors`, layout, /cut\.safetensors: safetensors: .*out of range/);
    await refuse(
      path,
      makeLayout([...SPECS, { name: "fc2.weight", shape: [2, 2], fanIn: 2 }]),
      /missing parameter tensors: fc2\.weight/,
    );
    await refuse(
      path,
      makeLayout(SPECS.slice(0, 1)),
      /unexpected tensor "fc.bias" \(not a parameter of the layout/,
    );
    await refuse(
      path,
      makeLayout([{ ...SPECS[0], shape: [13, 7] }, SPECS[1]]),
      /tensor "fc.weight" has shape \[7, 13\] in the file, the layout expects \[13, 7\]/,
    );
    await refuse(path, layout, /unexpected tensor "optim.step_hint"/, { extraPrefixes: [] });
    await refuse(path, layout, /missing tensor "optim.first"/, {
      requireExtra: [{ name: "optim.first", shape: [7] }],
    });
    await refuse(
      path,
      layout,
      /tensor "optim.step_hint" has shape \[1\] in the file, expected \[2\]/,
      {
        requireExtra: [{ name: "optim.step_hint", shape: [2] }],
      },
    );
    await assert.rejects(
      () => loadCheckpoint(path, layout, { into: new Float32Array(3) }),
      /the destination has 3 floats, the layout needs 192/,
    );
  });
});

Deno.test("checkpoint: atomic save keeps the previous checkpoint when the write fails", async () => {
  await withDir(async (dir) => {
    const layout = makeLayout(SPECS);
    const path = `${dir}/model.safetensors`;
    const before = filledParams(layout.size, 3);
    await saveCheckpoint(path, layout, before, { version: "old" });
    const oldBytes = await Deno.readFile(path);
    // A directory where the temporary file must go: the write fails.
    await Deno.mkdir(`${path}.tmp`);
    await assert.rejects(
      () => saveCheckpoint(path, layout, filledParams(layout.size, 4), { version: "new" }),
      /checkpoint: could not write .*model\.safetensors \(via .*model\.safetensors\.tmp\)/,
    );
    assert.deepEqual(await Deno.readFile(path), oldBytes, "the old checkpoint is intact");
    assert.equal((await loadCheckpoint(path, layout)).metadata.version, "old");
    // A stale temporary file (a crash mid-write) is simply replaced by the next save.
    await Deno.remove(`${path}.tmp`);
    await Deno.writeFile(`${path}.tmp`, new Uint8Array([1, 2, 3]));
    await saveCheckpoint(path, layout, filledParams(layout.size, 4), { version: "new" });
    assert.equal((await loadCheckpoint(path, layout)).metadata.version, "new");
    await assert.rejects(() => Deno.stat(`${path}.tmp`), Deno.errors.NotFound);
  });
});
