// General matrix multiply and column sums. TS twin: src/nn/linear.ts (matmul, columnSum).
//
//   C[m,n] = alpha·op(A)·op(B) (+ bias[n] on every row) (+ C when accumulate)
//
// A is stored [m,k] ([k,m] when TRANS_A), B is [k,n] ([n,k] when TRANS_B), all row-major.
// The transposes and the bias are pipeline constants; sizes, alpha and accumulate are uniforms.
// Two kernels compute the same sums:
//   tiled16: SMALL_TILE × SMALL_TILE threads (16 × 16), one output each, tiles of A and B
//            of that edge in workgroup memory. For small and odd shapes.
//   tiled128: 16×16 threads, 8×8 outputs each in sixteen named vec4 accumulators (a
//            dynamically indexed private array would spill), 128×128 tiles of C, BK = 8.
//            Thread (tx, ty) owns rows {ty*4 + 0..3, 64 + ty*4 + 0..3} and columns
//            {tx*4 + 0..3, 64 + tx*4 + 0..3} of the tile, so its operands are two vec4
//            reads of A and two of B per k step, and neighbouring threads read neighbouring
//            vec4s.
// Every load and store is bounds checked: shapes need not be multiples of the tiles.
//
// colsum: out[chunk, j] = Σ_{r in chunk} src[r, j] (+ out when accumulate), the bias gradient,
// in chunks of k rows (a second dispatch sums the chunks).

#include "grid.wgsl"

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  accumulate: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>; // [m, n]; colsum: out
@group(0) @binding(2) var<storage, read> a: array<f32>;       // [m, k] or [k, m]; colsum: src
@group(0) @binding(3) var<storage, read> b: array<f32>;       // [k, n] or [n, k]
@group(0) @binding(4) var<storage, read> bias: array<f32>;    // [n] (a dummy without HAS_BIAS)

// op(A)[row, kk], 0 outside the matrix.
fn loadA(row: u32, kk: u32) -> f32 {
  if (row >= p.m || kk >= p.k) { return 0.0; }
  if (TRANS_A) { return a[kk * p.m + row]; }
  return a[row * p.k + kk];
}

// op(B)[kk, col], 0 outside the matrix.
fn loadB(kk: u32, col: u32) -> f32 {
  if (kk >= p.k || col >= p.n) { return 0.0; }
  if (TRANS_B) { return b[col * p.k + kk]; }
  return b[kk * p.n + col];
}

// C[row, col] = alpha·sum (+ bias[col]) (+ C[row, col]); the caller checks the bounds.
fn storeC(row: u32, col: u32, sum: f32) {
  let idx = row * p.n + col;
  var v = p.alpha * sum;
  if (HAS_BIAS) { v += bias[col]; }
  if (p.accumulate != 0u) { v += c[idx]; }
  c[idx] = v;
}

// ---- tiled16 ----------------------------------------------------------------------------

// The tile edge, a pipeline constant (the recorder's SMALL_TILE, which also sizes its grid).
override SMALL_TILE: u32;
// SMALL_TILE² ≤ 256 (the threads of a workgroup). Sized by a constant: an override-sized
// array here hung llvmpipe.
var<workgroup> tileA: array<f32, 256>; // [row][kk], row-major
var<workgroup> tileB: array<f32, 256>; // [kk][col]

// Grid: (ceil(n/SMALL_TILE), ceil(m/SMALL_TILE)).
@compute @workgroup_size(SMALL_TILE, SMALL_TILE)
fn tiled16(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.y * SMALL_TILE + lid.y;
  let col = wg.x * SMALL_TILE + lid.x;
  var sum = 0.0;
  for (var k0 = 0u; k0 < p.k; k0 += SMALL_TILE) {
    tileA[lid.y * SMALL_TILE + lid.x] = loadA(row, k0 + lid.x);
    tileB[lid.y * SMALL_TILE + lid.x] = loadB(k0 + lid.y, col);
    workgroupBarrier();
    for (var kk = 0u; kk < SMALL_TILE; kk++) {
      sum = fma(tileA[lid.y * SMALL_TILE + kk], tileB[kk * SMALL_TILE + lid.x], sum);
    }
    workgroupBarrier();
  }
  if (row < p.m && col < p.n) { storeC(row, col, sum); }
}

// ---- tiled128 ---------------------------------------------------------------------------

// The unrolled code below is written for this tile (BM = BN) and 256 threads. The recorder
// reads BM from this line (BIG_TILE in src/nn/linear_gpu.ts) to size the grid.
const BM: u32 = 128u; // rows of C per workgroup
const BN: u32 = 128u; // columns of C per workgroup
const BK: u32 = 8u;   // k per step
// tileA4[kk * 32 + r / 4][r % 4] = op(A)[row0 + r, k0 + kk]; tileB4 likewise for columns.
var<workgroup> tileA4: array<vec4<f32>, 256>; // BK * BM / 4
var<workgroup> tileB4: array<vec4<f32>, 256>; // BK * BN / 4

// Accumulators: cR0 holds row R of the thread's 8 rows at its columns tx*4 + 0..3, cR1 at
// 64 + tx*4 + 0..3. Rows 0..3 are tile rows ty*4 + 0..3, rows 4..7 are 64 + ty*4 + 0..3.
var<private> c00: vec4<f32>;
var<private> c01: vec4<f32>;
var<private> c10: vec4<f32>;
var<private> c11: vec4<f32>;
var<private> c20: vec4<f32>;
var<private> c21: vec4<f32>;
var<private> c30: vec4<f32>;
var<private> c31: vec4<f32>;
var<private> c40: vec4<f32>;
var<private> c41: vec4<f32>;
var<private> c50: vec4<f32>;
var<private> c51: vec4<f32>;
var<private> c60: vec4<f32>;
var<private> c61: vec4<f32>;
var<private> c70: vec4<f32>;
var<private> c71: vec4<f32>;

// One k step: the outer product of the thread's 8 A values and 8 B values.
fn step128(ia: u32, ib: u32) {
  let a0 = tileA4[ia];
  let a1 = tileA4[ia + 16u];
  let b0 = tileB4[ib];
  let b1 = tileB4[ib + 16u];
  c00 = fma(vec4<f32>(a0.x), b0, c00);
  c01 = fma(vec4<f32>(a0.x), b1, c01);
  c10 = fma(vec4<f32>(a0.y), b0, c10);
  c11 = fma(vec4<f32>(a0.y), b1, c11);
  c20 = fma(vec4<f32>(a0.z), b0, c20);
  c21 = fma(vec4<f32>(a0.z), b1, c21);
  c30 = fma(vec4<f32>(a0.w), b0, c30);
  c31 = fma(vec4<f32>(a0.w), b1, c31);
  c40 = fma(vec4<f32>(a1.x), b0, c40);
  c41 = fma(vec4<f32>(a1.x), b1, c41);
  c50 = fma(vec4<f32>(a1.y), b0, c50);
  c51 = fma(vec4<f32>(a1.y), b1, c51);
  c60 = fma(vec4<f32>(a1.z), b0, c60);
  c61 = fma(vec4<f32>(a1.z), b1, c61);
  c70 = fma(vec4<f32>(a1.w), b0, c70);
  c71 = fma(vec4<f32>(a1.w), b1, c71);
}

// Loads the BM×BK tile of op(A) and the BK×BN tile of op(B) at (row0, col0, k0); each of
// the 256 threads loads 4 values of each, consecutive in memory.
fn loadTiles128(t: u32, row0: u32, col0: u32, k0: u32) {
  if (TRANS_A) {
    // a is [k, m]: 4 consecutive rows at one kk, stored as one vec4.
    let kk = t / 32u;
    let r = (t % 32u) * 4u;
    tileA4[t] = vec4<f32>(
      loadA(row0 + r, k0 + kk),
      loadA(row0 + r + 1u, k0 + kk),
      loadA(row0 + r + 2u, k0 + kk),
      loadA(row0 + r + 3u, k0 + kk),
    );
  } else {
    // a is [m, k]: 4 consecutive kk of one row, scattered over 4 vec4s.
    let r = t / 2u;
    let kk = (t % 2u) * 4u;
    let i = kk * 32u + r / 4u;
    let q = r % 4u;
    tileA4[i][q] = loadA(row0 + r, k0 + kk);
    tileA4[i + 32u][q] = loadA(row0 + r, k0 + kk + 1u);
    tileA4[i + 64u][q] = loadA(row0 + r, k0 + kk + 2u);
    tileA4[i + 96u][q] = loadA(row0 + r, k0 + kk + 3u);
  }
  if (TRANS_B) {
    // b is [n, k]: 4 consecutive kk of one column, scattered over 4 vec4s.
    let col = t / 2u;
    let kk = (t % 2u) * 4u;
    let i = kk * 32u + col / 4u;
    let q = col % 4u;
    tileB4[i][q] = loadB(k0 + kk, col0 + col);
    tileB4[i + 32u][q] = loadB(k0 + kk + 1u, col0 + col);
    tileB4[i + 64u][q] = loadB(k0 + kk + 2u, col0 + col);
    tileB4[i + 96u][q] = loadB(k0 + kk + 3u, col0 + col);
  } else {
    // b is [k, n]: 4 consecutive columns at one kk, stored as one vec4.
    let kk = t / 32u;
    let col = (t % 32u) * 4u;
    tileB4[t] = vec4<f32>(
      loadB(k0 + kk, col0 + col),
      loadB(k0 + kk, col0 + col + 1u),
      loadB(k0 + kk, col0 + col + 2u),
      loadB(k0 + kk, col0 + col + 3u),
    );
  }
}

// Stores 4 consecutive outputs of one row, bounds checked.
fn store4(row: u32, col: u32, v: vec4<f32>) {
  if (row >= p.m) { return; }
  if (col < p.n) { storeC(row, col, v.x); }
  if (col + 1u < p.n) { storeC(row, col + 1u, v.y); }
  if (col + 2u < p.n) { storeC(row, col + 2u, v.z); }
  if (col + 3u < p.n) { storeC(row, col + 3u, v.w); }
}

// Grid: (ceil(n/128), ceil(m/128)).
@compute @workgroup_size(256)
fn tiled128(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  let tx = t % 16u;
  let ty = t / 16u;
  for (var k0 = 0u; k0 < p.k; k0 += BK) {
    loadTiles128(t, row0, col0, k0);
    workgroupBarrier();
    step128(ty, tx);
    step128(32u + ty, 32u + tx);
    step128(64u + ty, 64u + tx);
    step128(96u + ty, 96u + tx);
    step128(128u + ty, 128u + tx);
    step128(160u + ty, 160u + tx);
    step128(192u + ty, 192u + tx);
    step128(224u + ty, 224u + tx);
    workgroupBarrier();
  }
  let r0 = row0 + ty * 4u;
  let r4 = row0 + 64u + ty * 4u;
  let j0 = col0 + tx * 4u;
  let j1 = col0 + 64u + tx * 4u;
  store4(r0, j0, c00);
  store4(r0, j1, c01);
  store4(r0 + 1u, j0, c10);
  store4(r0 + 1u, j1, c11);
  store4(r0 + 2u, j0, c20);
  store4(r0 + 2u, j1, c21);
  store4(r0 + 3u, j0, c30);
  store4(r0 + 3u, j1, c31);
  store4(r4, j0, c40);
  store4(r4, j1, c41);
  store4(r4 + 1u, j0, c50);
  store4(r4 + 1u, j1, c51);
  store4(r4 + 2u, j0, c60);
  store4(r4 + 2u, j1, c61);
  store4(r4 + 3u, j0, c70);
  store4(r4 + 3u, j1, c71);
}

// ---- colsum -----------------------------------------------------------------------------
// Uses p.m = rows, p.n = cols, p.k = rows per chunk, p.accumulate; src is `a`, out is `c`.

var<workgroup> partial: array<array<f32, 4>, WG>; // [column][row lane]

// Grid: (ceil(cols/WG), chunks). WG columns × 4 row lanes per workgroup.
@compute @workgroup_size(WG, 4)
fn colsum(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col = wg.x * WG + lid.x;
  let chunk = wg.y;
  let end = min(p.m, (chunk + 1u) * p.k);
  var sum = 0.0;
  if (col < p.n) {
    for (var r = chunk * p.k + lid.y; r < end; r += 4u) {
      sum += a[r * p.n + col];
    }
  }
  partial[lid.x][lid.y] = sum;
  workgroupBarrier();
  if (lid.y == 0u && col < p.n) {
    let q = partial[lid.x];
    let total = (q[0] + q[1]) + (q[2] + q[3]);
    let idx = chunk * p.n + col;
    if (p.accumulate != 0u) { c[idx] += total; } else { c[idx] = total; }
  }
}
