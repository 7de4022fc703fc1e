import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { Snapshot } from '../../shared/domain/fleet.js';

/**
 * The latest fleet snapshot. Held in a shallowRef and marked raw: a 10,240-GPU snapshot has ~60k numbers and Vue
 * must not proxy them. Components watch `snapshot` and read the arrays directly.
 */
export const useLiveStore = defineStore('live', () => {
  const snapshot = shallowRef<Snapshot | null>(null);
  /** Wall-clock ms when the last snapshot arrived. */
  const receivedAtMs = ref(0);
  /** While the heatmap bench drives synthetic snapshots, live ones are dropped so they do not interleave. */
  let held = false;
  /** After a reconnection the engine may have restarted (seq and clock start over): accept the next one as is. */
  let fresh = true;

  function apply(s: Snapshot, opts: { bench?: boolean } = {}): void {
    if (held && !opts.bench) return;
    const cur = snapshot.value;
    // A late answer to `fleet:snapshot` must not replace a newer pushed snapshot.
    if (!opts.bench && !fresh && cur && s.seq < cur.seq && s.tMs <= cur.tMs) return;
    fresh = false;
    snapshot.value = markRaw(s);
    receivedAtMs.value = Date.now();
  }

  function hold(on: boolean): void {
    held = on;
  }

  function expectRestart(): void {
    fresh = true;
  }

  return { snapshot, receivedAtMs, apply, hold, expectRestart };
});
