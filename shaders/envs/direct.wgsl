// The layer for envs whose step writes the observation itself (Catch, CartPole, Pendulum):
// the env defines `fn write_obs(i: u32)` and declares `obs` and `final_obs` (binding 2 and
// 8, both of its observation's element type). TS twin: the `writeObs` of its CPU form.

#include "envs/entry.wgsl"

fn emit_obs(i: u32, fresh: bool) { write_obs(i); }

// Copies the observation row of copy i into final_obs.
fn save_final_obs(i: u32) {
  for (var k = 0u; k < OBS_WORDS; k++) { final_obs[i * OBS_WORDS + k] = obs[i * OBS_WORDS + k]; }
}
