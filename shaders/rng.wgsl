// Counter-based random numbers shared by every kernel that needs them (include this file).
// Bit-exact twin: src/util/rng.ts. Each value is a pure function of (seed, stream, counter),
// so a kernel needs no RNG state: e.g. stream = environment index, counter = step.

// PCG-RXS-M-XS hash of one 32-bit word (Jarzynski & Olano, "Hash Functions for GPU Rendering").
fn pcg_hash(x: u32) -> u32 {
  let state = x * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// A random u32 for (seed, stream, counter).
fn rand_u32(seed: u32, stream: u32, counter: u32) -> u32 {
  return pcg_hash(counter ^ pcg_hash(stream ^ pcg_hash(seed)));
}

// A uniform float in [0, 1) with 24 random bits (exact in f32, so the twin matches bit for bit).
fn rand_unit(seed: u32, stream: u32, counter: u32) -> f32 {
  return f32(rand_u32(seed, stream, counter) >> 8u) * (1.0 / 16777216.0);
}
