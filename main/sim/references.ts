import { applyOut, healthyState, resolvePlant } from '../core/plant.js';
import type { Scenario } from '../../shared/domain/scenario.js';
import type { Topology } from '../../shared/domain/topology.js';

/** A scenario that names something its topology lacks; `path` is the scenario field. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/**
 * Every row, rack, server and service a scenario names must exist, and no server may host two workloads (a rack or row
 * placement takes all its servers). `path` names the field.
 */
export function checkReferences(scenario: Scenario, topology: Topology): void {
  const rows = new Set(topology.rows.map((r) => r.id));
  const racks = new Map(topology.racks.map((r, i) => [r.id, i]));
  const servers = new Map(topology.servers.map((s, i) => [s.id, i]));
  /** Per server index: the workload on it. */
  const used = new Map<number, string>();
  const place = (p: { rows?: string[]; racks?: string[]; servers?: string[] }, path: string, who: string) => {
    const mine = new Set<number>();
    const rack = (k: number) => {
      const r = topology.racks[k]!;
      for (let s = r.serverStart; s < r.serverStart + r.serverCount; s++) mine.add(s);
    };
    (p.rows ?? []).forEach((id, k) => {
      if (!rows.has(id)) throw new ScenarioError(`unknown row "${id}" (rows: ${[...rows].join(', ')})`, `${path}.placement.rows[${k}]`);
      const r = topology.rows.find((x) => x.id === id)!;
      for (let i = r.rackStart; i < r.rackStart + r.rackCount; i++) rack(i);
    });
    (p.racks ?? []).forEach((id, k) => {
      const i = racks.get(id);
      if (i === undefined) throw new ScenarioError(`unknown rack "${id}"`, `${path}.placement.racks[${k}]`);
      rack(i);
    });
    (p.servers ?? []).forEach((id, k) => {
      const i = servers.get(id);
      if (i === undefined) throw new ScenarioError(`unknown server "${id}" (e.g. ${topology.servers[0]?.id ?? '—'})`, `${path}.placement.servers[${k}]`);
      mine.add(i);
    });
    for (const s of mine) {
      const other = used.get(s);
      const sv = topology.servers[s]!;
      if (other) throw new ScenarioError(`${p.servers?.includes(sv.id) ? `server ${sv.id}` : `rack ${topology.racks[sv.rack]!.id}`} is already used by ${other}`, `${path}.placement`);
      used.set(s, who);
    }
  };
  scenario.services.forEach((s, i) => place(s.placement, `services[${i}]`, `service ${s.id}`));
  scenario.training.forEach((j, i) => place(j.placement, `training[${i}]`, `training job ${j.id}`));
  scenario.events.forEach((ev, i) => {
    if (ev.kind === 'deviceFailure') {
      const plant = topology.plant;
      if (!plant) throw new ScenarioError('the topology describes no plant (`plant:`), so it has no devices to fail', `events[${i}].devices`);
      // What the simulator will take out, read the one way the plant reads failure ids (core/plant.ts applyOut).
      const p = resolvePlant(plant, topology);
      ev.devices.forEach((d, k) => {
        if (!applyOut(p, healthyState(p), d)) throw new ScenarioError(`no device "${d}" in the plant`, `events[${i}].devices[${k}]`);
      });
      return;
    }
    if (ev.kind === 'loadSpike') {
      (ev.rows ?? []).forEach((id, k) => {
        if (!rows.has(id)) throw new ScenarioError(`unknown row "${id}" (rows: ${[...rows].join(', ')})`, `events[${i}].rows[${k}]`);
      });
      if (ev.service && !scenario.services.some((s) => s.id === ev.service)) throw new ScenarioError(`unknown service "${ev.service}"`, `events[${i}].service`);
    } else if (ev.kind === 'coolingLoss' || ev.kind === 'powerBudgetLoss') {
      if (ev.row !== undefined && !rows.has(ev.row)) throw new ScenarioError(`unknown row "${ev.row}" (rows: ${[...rows].join(', ')})`, `events[${i}].row`);
      if (ev.rack !== undefined && !racks.has(ev.rack)) throw new ScenarioError(`unknown rack "${ev.rack}"`, `events[${i}].rack`);
    }
  });
}
