/**
 * `window.__headroomBench`: drives the REAL mounted floor components with synthetic snapshots and times each update.
 * Installed only with `?bench=1` (see main.ts); used by bench/heatmap.ts.
 *
 * One measured update = from handing a snapshot to the live store until Vue has flushed its watchers and renders
 * (`await nextTick()`: the rack grid's cell pass, or the GPU canvas's pixel pass + putImageData), followed by a
 * forced synchronous style recalculation and layout of the heatmap (reading `offsetHeight`). Browser paint and
 * compositing, which happen later on the next frame, are not included. Live snapshots are held back meanwhile.
 */
import { nextTick } from 'vue';
import type { Snapshot } from '../shared/domain/fleet.js';
import { useLiveStore } from './stores/live.js';
import { useUiStore } from './stores/ui.js';
import { useTopologyStore } from './stores/topology.js';

export interface BenchResult {
  kind: 'floor' | 'allGpu';
  cells: number;
  durationsMs: number[];
}

export interface HeadroomBench {
  ready(): boolean;
  run(kind: 'floor' | 'allGpu', updates: number): Promise<BenchResult>;
}

declare global {
  interface Window {
    __headroomBench?: HeadroomBench;
  }
}

function frame(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => r()));
}

/** A copy of `base` with every GPU, rack and row value moved (so every cell changes colour and text). */
export function perturb(base: Snapshot, k: number): Snapshot {
  const f = (v: number, i: number, amp: number) => v * (1 + amp * Math.sin(i * 12.9898 + k * 78.233));
  return {
    ...base,
    seq: base.seq + k + 1,
    tMs: base.tMs + (k + 1) * 1000,
    gpu: {
      powerW: base.gpu.powerW.map((v, i) => f(v, i, 0.25)),
      tempC: base.gpu.tempC.map((v, i) => f(v, i, 0.12)),
      clockMHz: base.gpu.clockMHz.slice(),
      limitW: base.gpu.limitW.slice(),
      util: base.gpu.util.slice(),
      flags: base.gpu.flags.map((v, i) => (Math.sin(i * 3.1 + k) > 0.97 ? v | 0x4 : v)),
    },
    rack: {
      powerW: base.rack.powerW.map((v, i) => f(v, i, 0.3)),
      inletC: base.rack.inletC.map((v, i) => f(v, i, 0.1)),
      maxTempC: base.rack.maxTempC.map((v, i) => f(v, i, 0.1)),
    },
    row: { ...base.row, powerW: base.row.powerW.map((v, i) => f(v, i, 0.1)) },
  };
}

export function installBench(): void {
  const live = useLiveStore();
  const ui = useUiStore();
  const topo = useTopologyStore();

  window.__headroomBench = {
    ready: () => !!topo.topology && !!live.snapshot,
    async run(kind, updates) {
      const base = live.snapshot;
      const t = topo.topology;
      if (!base || !t) throw new Error('no topology or snapshot yet');
      ui.view = 'floor';
      ui.granularity = kind === 'allGpu' ? 'gpu' : 'rack';
      if (kind === 'allGpu') ui.gpuMetric = 'gpuTempC';
      else ui.rackMetric = 'budgetPct';
      await nextTick();
      await frame();
      await frame();
      const target = document.querySelector<HTMLElement>(kind === 'allGpu' ? '[data-testid="gpu-canvas"]' : '[data-testid="floor-heatmap"]');
      if (!target) throw new Error('heatmap not mounted');
      // Prepared before timing: building snapshots is the network's job, not the renderer's.
      const snaps = Array.from({ length: updates }, (_, k) => perturb(base, k));
      const durationsMs: number[] = [];
      live.hold(true);
      try {
        for (const s of snaps) {
          await frame();
          const t0 = performance.now();
          live.apply(s, { bench: true });
          await nextTick();
          void target.offsetHeight;
          durationsMs.push(performance.now() - t0);
        }
      } finally {
        live.hold(false);
      }
      return { kind, cells: kind === 'allGpu' ? t.gpuCount : t.racks.length, durationsMs };
    },
  };
}
