// The entry template of every env: the `reset` and `step` entry points, which own reset,
// auto-reset, the time limit, the truncation flags and the episode statistics. TS twin:
// src/envs/scaffold.ts (`makeCpuVecEnv`, same order). An env never includes this file
// directly: it includes `envs/direct.wgsl` (its step writes the observation) or
// `envs/arcade.wgsl` (a pixel game: frame skip, frame stack, a render pass).
//
// The env declares `ENV_WORDS` (its state words per copy) and defines:
//   fn spawn(i: u32)                       one copy's new episode (its own words only)
//   fn step_one(i: u32, a: A) -> f32       one copy's step with action a = actions[i]; reward
//   fn is_terminal(i: u32) -> bool         whether the state is terminal
// and the layer above defines emit_obs(i, fresh) and save_final_obs(i).
//
// The scaffold keeps three words after the env's: STEPS (agent steps in the episode), RET
// (the return so far, f32 bits) and COUNTER (the copy's RNG counter, for `draw`).

#include "envs/common.wgsl"

override MAX_STEPS: u32;  // time limit in agent steps; 0 for none
override OBS_WORDS: u32;  // u32 words of one copy's observation

const STEPS: u32 = ENV_WORDS;
const RET: u32 = ENV_WORDS + 1u;
const COUNTER: u32 = ENV_WORDS + 2u;

@group(0) @binding(1) var<storage, read_write> state: array<i32>;

// Word k of copy i (struct-of-arrays).
fn st(k: u32, i: u32) -> u32 { return k * env.n + i; }

// The next random u32 of copy i (its counter in the state).
fn draw(i: u32) -> u32 {
  let c = u32(state[st(COUNTER, i)]);
  state[st(COUNTER, i)] = i32(c + 1u);
  return rand_u32(env.seed, i, c);
}

fn new_episode(i: u32) {
  state[st(STEPS, i)] = 0;
  state[st(RET, i)] = 0; // the bits of 0.0
  spawn(i);
}

@compute @workgroup_size(WG)
fn reset(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  clear_episode_count(i);
  if (i >= env.n) { return; }
  state[st(COUNTER, i)] = 0;
  new_episode(i);
  emit_obs(i, true);
  reward[i] = 0.0;
  terminated[i] = 0u;
  truncated[i] = 0u;
}

@compute @workgroup_size(WG)
fn step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= env.n) { return; }
  let r = step_one(i, actions[i]);
  let steps = u32(state[st(STEPS, i)]) + 1u;
  let ret = bitcast<f32>(state[st(RET, i)]) + r;
  state[st(STEPS, i)] = i32(steps);
  state[st(RET, i)] = bitcast<i32>(ret);
  let term = is_terminal(i);
  let trunc = !term && MAX_STEPS > 0u && steps >= MAX_STEPS;
  if (!term) { emit_obs(i, false); }
  if (trunc) { save_final_obs(i); } // the observation the time limit cut off
  if (term || trunc) {
    record_episode(ret, steps);
    new_episode(i);
    emit_obs(i, true);
  }
  reward[i] = r;
  terminated[i] = u32(term);
  truncated[i] = u32(trunc);
}
