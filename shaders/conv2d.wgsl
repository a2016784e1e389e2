// 2-D convolution (NCHW, zero padding), forward and backward, as implicit GEMMs: the index
// arithmetic of the convolution sits in the tile loads, no im2col buffer. TS twin:
// src/nn/conv2d.ts (conv2dForward, conv2dBackward); recorders: src/nn/conv2d_gpu.ts.
//
//   x [BATCH, C, H, W]   w [O, C, KH, KW]   bias [O]   y, dy [BATCH, O, OH, OW]
//   y[b,o,oh,ow] = bias[o] + XS·Σ_{c,kh,kw} w[o,c,kh,kw]·x[b,c,oh·S+kh−P, ow·S+kw−P]
//
// XS = 1/255 when x holds u8 pixels (p.inputU8: packed 4 a u32, little-endian), else 1.
// x is bound as array<u32> either way: float inputs are read with bitcast<f32>.
//
// Every entry point is one GEMM C[m, n] = Σ_k A[m, k]·B[k, n] with tiles of BM = 4·MT rows
// and BN = 4·NT columns (MT·NT = WG threads), BK = 8 k per step, in workgroup memory.
// Thread (tm, tn) = (t % MT, t / MT) owns rows 4·tm + 0..3 and columns 4·tn + 0..3 of the
// tile, held in four named vec4 accumulators (acc<j> = the 4 rows at column 4·tn + j): a
// dynamically indexed private array would spill. MT ∈ {4, 8, 16} is chosen by the recorder
// from the number of rows (BM = 16, 32 or 64 for 16, 32 or more channels).
//
//   forward: m = o, n = (b, oh, ow), k = (c, kh, kw)           A = w, B = x gathered
//   dgrad:   a transposed convolution in gather form, split by stride phase so that no tap is
//            wasted: input pixels (ih, iw) with (ih + P) % S = phH, (iw + P) % S = phW form
//            one GEMM per phase (workgroup_id.z = phase·mTiles + mTile), touched only by the
//            taps kh = phH + S·jh, kw = phW + S·jw at oh = q0h + i' − jh, ow = q0w + j' − jw:
//            m = c, n = (b, i', j') with ih = ih0 + S·i', k = (o, jh, jw); A = w, B = dy.
//   wgrad:   m = o, n = (c, kh, kw) (+ one column for the bias gradient), reduction over
//            r = (b, oh, ow) split into chunks of CHUNK rows (workgroup_id.z = chunk); each
//            workgroup writes its partial sums to part[chunk, o, n], and `wgradReduce` sums
//            the chunks into dw (or db).
//
// Sizes are pipeline constants (a plan's shapes are fixed), so divisions by them compile to
// multiplies. The u8 input and accumulate flags are uniforms (branches on them are uniform),
// which halves the pipelines a network compiles. Every load and store is bounds checked:
// shapes need not be multiples of tiles.

#include "grid.wgsl"

override BATCH: u32 = 1u;
override C: u32 = 1u;
override H: u32 = 1u;
override W: u32 = 1u;
override O: u32 = 1u;
override KH: u32 = 1u;
override KW: u32 = 1u;
override S: u32 = 1u;
override P: u32 = 0u;
override OH: u32 = 1u;
override OW: u32 = 1u;
override HAS_BIAS: bool = false;
// Threads along the rows of the GEMM tile (4 rows each); NT = WG / MT along the columns.
override MT: u32 = 8u;
// wgrad: rows of the reduction per chunk (a multiple of BK) and the number of chunks.
override CHUNK: u32 = 8u;

// Derived sizes (the recorder passes the same values the formulas give).
override HW: u32 = 1u;   // H·W
override OHW: u32 = 1u;  // OH·OW
override KHW: u32 = 1u;  // KH·KW
override K: u32 = 1u;    // C·KH·KW, the reduction of the forward GEMM
override HQ: u32 = 1u;   // ceil(H / S): input rows per stride phase (at most)
override WQ: u32 = 1u;   // ceil(W / S)
override JH: u32 = 1u;   // ceil(KH / S): kernel rows per stride phase (at most)
override JW: u32 = 1u;   // ceil(KW / S)

struct Params {
  inputU8: u32,     // x holds u8 pixels (forward, wgrad, wgradReduce's scale)
  accumulate: u32,  // add into dx (dgrad) or out (wgradReduce) instead of overwriting
  // wgradReduce only (sizes as uniforms: one pipeline serves every layer):
  outChannels: u32, // O
  k: u32,           // K = C·KH·KW: part rows hold k + 1 columns
  chunks: u32,      // chunks of the reduction
  reduceBias: u32,  // 1: out[o] = Σ part[·, o, k] (db); 0: out[o, j] = XS·Σ part[·, o, j] (dw)
}

// k per GEMM step; the recorder reads it from this line to round wgrad chunks to it.
const BK: u32 = 8u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;        // [BATCH, C, H, W] f32 bits or u8×4
@group(0) @binding(2) var<storage, read> w: array<f32>;        // [O, C, KH, KW]
@group(0) @binding(3) var<storage, read> bias: array<f32>;     // [O]
@group(0) @binding(4) var<storage, read_write> y: array<f32>;  // [BATCH, O, OH, OW]
@group(0) @binding(5) var<storage, read> dy: array<f32>;       // [BATCH, O, OH, OW]
@group(0) @binding(6) var<storage, read_write> dx: array<f32>; // [BATCH, C, H, W]
@group(0) @binding(7) var<storage, read_write> part: array<f32>; // [chunks, O, K + 1]
@group(0) @binding(8) var<storage, read_write> out: array<f32>;  // dw [O, K] or db [O]

// tileA[kk·MT + m/4][m%4] = A[m0 + m, k0 + kk]; tileB[kk·NT + n/4][n%4] = B[k0 + kk, n0 + n].
var<workgroup> tileA: array<vec4<f32>, 128>; // BK × BM/4, BM ≤ 64
// BK × BN/4 with BN ≤ WG (MT ≥ 4): 2·WG for WG = 256. A constant: an array sized by an
// override expression hung llvmpipe (matmul's tiled16).
var<workgroup> tileB: array<vec4<f32>, 512>;

var<private> acc0: vec4<f32>;
var<private> acc1: vec4<f32>;
var<private> acc2: vec4<f32>;
var<private> acc3: vec4<f32>;
var<private> accA: vec4<f32>; // wgrad: Σ_k A[m, k] over the thread's 4 rows (the bias gradient)

fn nt() -> u32 { return WG / MT; }
fn bm() -> u32 { return 4u * MT; }
fn bn() -> u32 { return 4u * nt(); }

// x[i] as a float (a u8 pixel as its integer value; XS scales the sums).
fn readX(i: u32) -> f32 {
  if (p.inputU8 != 0u) { return f32((x[i >> 2u] >> ((i & 3u) * 8u)) & 255u); }
  return bitcast<f32>(x[i]);
}

fn xScale() -> f32 { return select(1.0, 1.0 / 255.0, p.inputU8 != 0u); }

// One BK step of the thread's 4×4 outer products (and of the row sums when SUM_A).
fn mma(tm: u32, tn: u32, sumA: bool) {
  for (var kk = 0u; kk < BK; kk++) {
    let a = tileA[kk * MT + tm];
    let b = tileB[kk * nt() + tn];
    acc0 = fma(a, vec4<f32>(b.x), acc0);
    acc1 = fma(a, vec4<f32>(b.y), acc1);
    acc2 = fma(a, vec4<f32>(b.z), acc2);
    acc3 = fma(a, vec4<f32>(b.w), acc3);
    if (sumA) { accA += a; }
  }
}

fn putA(m: u32, kk: u32, v: f32) { tileA[kk * MT + m / 4u][m % 4u] = v; }
fn putB(kk: u32, n: u32, v: f32) { tileB[kk * nt() + n / 4u][n % 4u] = v; }

// The column-tile index of a 2-D grid of column tiles (x, then y past 65,535).
fn colTile(wg: vec3<u32>, nwg: vec3<u32>) -> u32 { return wg.x + wg.y * nwg.x; }

// ---- forward ----------------------------------------------------------------------------

// y[b, o, pix] = XS·v + bias[o] for the 4 rows o0 + 0..3 at column n = (b, pix).
fn storeY(n: u32, o0: u32, v: vec4<f32>) {
  if (n >= BATCH * OHW) { return; }
  let base = (n / OHW) * O * OHW + n % OHW;
  let xs = xScale();
  for (var i = 0u; i < 4u; i++) {
    let o = o0 + i;
    if (o < O) {
      var r = v[i] * xs;
      if (HAS_BIAS) { r += bias[o]; }
      y[base + o * OHW] = r;
    }
  }
}

// Grid: (column tiles of BATCH·OH·OW by BN, as grid1d), z = ceil(O / BM).
@compute @workgroup_size(WG)
fn forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let n0 = colTile(wg, nwg) * bn();
  let m0 = wg.z * bm();
  if (n0 >= BATCH * OHW) { return; } // whole workgroup: uniform
  // This thread's column of B: n = (b, oh, ow), decoded once.
  let nLoad = t % bn();
  let n = n0 + nLoad;
  let nOk = n < BATCH * OHW;
  let pix = n % OHW;
  let ihBase = i32((pix / OW) * S) - i32(P);
  let iwBase = i32((pix % OW) * S) - i32(P);
  let xBase = (n / OHW) * C * HW;
  for (var k0 = 0u; k0 < K; k0 += BK) {
    // A[o, k] = w[o, k]: consecutive threads read consecutive k.
    for (var e = t; e < BK * bm(); e += WG) {
      let m = e / BK;
      let kk = e % BK;
      let o = m0 + m;
      let k = k0 + kk;
      var v = 0.0;
      if (o < O && k < K) { v = w[o * K + k]; }
      putA(m, kk, v);
    }
    // B[k, n] = x[b, c, ih, iw] with k = (c, kh, kw): consecutive threads, consecutive n.
    for (var kk = t / bn(); kk < BK; kk += WG / bn()) {
      let k = k0 + kk;
      var v = 0.0;
      if (nOk && k < K) {
        let c = k / KHW;
        let r = k % KHW;
        let ih = ihBase + i32(r / KW);
        let iw = iwBase + i32(r % KW);
        if (ih >= 0 && ih < i32(H) && iw >= 0 && iw < i32(W)) {
          v = readX(xBase + c * HW + u32(ih) * W + u32(iw));
        }
      }
      putB(kk, nLoad, v);
    }
    workgroupBarrier();
    mma(t % MT, t / MT, false);
    workgroupBarrier();
  }
  let o0 = m0 + 4u * (t % MT);
  let nc = n0 + 4u * (t / MT);
  storeY(nc, o0, acc0);
  storeY(nc + 1u, o0, acc1);
  storeY(nc + 2u, o0, acc2);
  storeY(nc + 3u, o0, acc3);
}

// ---- dgrad ------------------------------------------------------------------------------

// The first input row (or column) of stride phase ph: the smallest i ≥ 0 with
// (i + P) % S == ph; and q0 = (i0 + P − ph) / S, the output row its tap jh = 0 reads.
fn phaseStart(ph: u32) -> u32 { return (ph + S - P % S) % S; }

// dx[b, c, ih, iw] (+)= v for the 4 rows (channels) c0 + 0..3 at column n = (b, i', j').
fn storeDx(n: u32, c0: u32, ih0: u32, iw0: u32, v: vec4<f32>) {
  if (n >= BATCH * HQ * WQ) { return; }
  let q = n % (HQ * WQ);
  let ih = ih0 + S * (q / WQ);
  let iw = iw0 + S * (q % WQ);
  if (ih >= H || iw >= W) { return; }
  let base = (n / (HQ * WQ)) * C * HW + ih * W + iw;
  for (var i = 0u; i < 4u; i++) {
    let c = c0 + i;
    if (c < C) {
      let idx = base + c * HW;
      if (p.accumulate != 0u) { dx[idx] += v[i]; } else { dx[idx] = v[i]; }
    }
  }
}

// Grid: (column tiles of BATCH·HQ·WQ by BN, as grid1d), z = S·S·ceil(C / BM).
@compute @workgroup_size(WG)
fn dgrad(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let mTiles = (C + bm() - 1u) / bm();
  let phase = wg.z / mTiles;
  let m0 = (wg.z % mTiles) * bm();
  let phH = phase / S;
  let phW = phase % S;
  let ih0 = phaseStart(phH);
  let iw0 = phaseStart(phW);
  let q0h = i32((ih0 + P - phH) / S);
  let q0w = i32((iw0 + P - phW) / S);
  let n0 = colTile(wg, nwg) * bn();
  let KD = O * JH * JW; // reduction of this GEMM
  if (n0 >= BATCH * HQ * WQ) { return; } // whole workgroup: uniform
  // This thread's column of B: n = (b, i', j'), decoded once.
  let nLoad = t % bn();
  let n = n0 + nLoad;
  let q = n % (HQ * WQ);
  let iq = i32(q / WQ);
  let jq = i32(q % WQ);
  let nOk = n < BATCH * HQ * WQ && ih0 + S * u32(iq) < H && iw0 + S * u32(jq) < W;
  let dyBase = (n / (HQ * WQ)) * O * OHW;
  for (var k0 = 0u; k0 < KD; k0 += BK) {
    // A[c, k] = w[o, c, kh, kw] with k = (o, jh, jw), kh = phH + S·jh, kw = phW + S·jw.
    for (var e = t; e < BK * bm(); e += WG) {
      let m = e / BK;
      let kk = e % BK;
      let c = m0 + m;
      let k = k0 + kk;
      var v = 0.0;
      if (c < C && k < KD) {
        let o = k / (JH * JW);
        let r = k % (JH * JW);
        let kh = phH + S * (r / JW);
        let kw = phW + S * (r % JW);
        if (kh < KH && kw < KW) { v = w[((o * C + c) * KH + kh) * KW + kw]; }
      }
      putA(m, kk, v);
    }
    // B[k, n] = dy[b, o, q0h + i' − jh, q0w + j' − jw], 0 outside the output.
    for (var kk = t / bn(); kk < BK; kk += WG / bn()) {
      let k = k0 + kk;
      var v = 0.0;
      if (nOk && k < KD) {
        let o = k / (JH * JW);
        let r = k % (JH * JW);
        let oh = q0h + iq - i32(r / JW);
        let ow = q0w + jq - i32(r % JW);
        if (oh >= 0 && oh < i32(OH) && ow >= 0 && ow < i32(OW)) {
          v = dy[dyBase + o * OHW + u32(oh) * OW + u32(ow)];
        }
      }
      putB(kk, nLoad, v);
    }
    workgroupBarrier();
    mma(t % MT, t / MT, false);
    workgroupBarrier();
  }
  let c0 = m0 + 4u * (t % MT);
  let nc = n0 + 4u * (t / MT);
  storeDx(nc, c0, ih0, iw0, acc0);
  storeDx(nc + 1u, c0, ih0, iw0, acc1);
  storeDx(nc + 2u, c0, ih0, iw0, acc2);
  storeDx(nc + 3u, c0, ih0, iw0, acc3);
}

// ---- wgrad ------------------------------------------------------------------------------

// part[chunk, o, n] = v for the 4 rows o0 + 0..3 at column n < K.
fn storePart(chunk: u32, n: u32, o0: u32, v: vec4<f32>) {
  if (n >= K) { return; }
  for (var i = 0u; i < 4u; i++) {
    let o = o0 + i;
    if (o < O) { part[(chunk * O + o) * (K + 1u) + n] = v[i]; }
  }
}

// Grid: (ceil(K / BN), ceil(O / BM), chunks).
@compute @workgroup_size(WG)
fn wgrad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let n0 = wg.x * bn();
  let m0 = wg.y * bm();
  let chunk = wg.z;
  let R = BATCH * OHW;
  let rEnd = min(R, (chunk + 1u) * CHUNK);
  // This thread's column of B: n = (c, kh, kw), decoded once.
  let nLoad = t % bn();
  let n = n0 + nLoad;
  let nOk = n < K;
  let cOff = (n / KHW) * HW;
  let kh = i32((n % KHW) / KW) - i32(P);
  let kw = i32(n % KW) - i32(P);
  for (var r0 = chunk * CHUNK; r0 < rEnd; r0 += BK) {
    // A[o, r] = dy[b, o, oh, ow] with r = (b, oh, ow).
    for (var e = t; e < BK * bm(); e += WG) {
      let m = e / BK;
      let kk = e % BK;
      let o = m0 + m;
      let r = r0 + kk;
      var v = 0.0;
      if (o < O && r < rEnd) { v = dy[((r / OHW) * O + o) * OHW + r % OHW]; }
      putA(m, kk, v);
    }
    // B[r, n] = x[b, c, oh·S + kh − P, ow·S + kw − P].
    for (var kk = t / bn(); kk < BK; kk += WG / bn()) {
      let r = r0 + kk;
      var v = 0.0;
      if (nOk && r < rEnd) {
        let pix = r % OHW;
        let ih = i32((pix / OW) * S) + kh;
        let iw = i32((pix % OW) * S) + kw;
        if (ih >= 0 && ih < i32(H) && iw >= 0 && iw < i32(W)) {
          v = readX((r / OHW) * C * HW + cOff + u32(ih) * W + u32(iw));
        }
      }
      putB(kk, nLoad, v);
    }
    workgroupBarrier();
    mma(t % MT, t / MT, true);
    workgroupBarrier();
  }
  let o0 = m0 + 4u * (t % MT);
  let nc = n0 + 4u * (t / MT);
  storePart(chunk, nc, o0, acc0);
  storePart(chunk, nc + 1u, o0, acc1);
  storePart(chunk, nc + 2u, o0, acc2);
  storePart(chunk, nc + 3u, o0, acc3);
  // The bias gradient: Σ_r dy[b, o, oh, ow], once per row (threads of column group 0).
  if (wg.x == 0u && t / MT == 0u) {
    for (var i = 0u; i < 4u; i++) {
      let o = o0 + i;
      if (o < O) { part[(chunk * O + o) * (K + 1u) + K] = accA[i]; }
    }
  }
}

// out[o, j] (+)= scale·Σ_chunk part[chunk, o, col], with col = j < K for dw (scale XS) or
// col = K for db (j = 0, scale 1). Sizes come from the uniforms. Grid: grid1d(O·K or O).
@compute @workgroup_size(WG)
fn wgradReduce(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let i = flat_index(gid, nwg);
  let kp = p.k;
  let isBias = p.reduceBias != 0u;
  let cols = select(kp, 1u, isBias);
  if (i >= p.outChannels * cols) { return; }
  let o = i / cols;
  let col = select(i % cols, kp, isBias);
  var sum = 0.0;
  for (var chunk = 0u; chunk < p.chunks; chunk++) {
    sum += part[(chunk * p.outChannels + o) * (kp + 1u) + col];
  }
  if (!isBias) { sum *= xScale(); }
  if (p.accumulate != 0u) { out[i] += sum; } else { out[i] = sum; }
}
