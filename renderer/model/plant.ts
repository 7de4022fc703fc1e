import type { Contingency, PlantSpec } from '../../shared/domain/plant.js';
import { overloadText } from '../../shared/domain/plantText.js';
import type { RunEvent } from '../../shared/domain/history.js';

/** What a planner may take out of service: feeds, UPS (and one UPS module), distribution devices (rack PDUs apart). */
export function maintainableDevices(spec: PlantSpec | undefined): Array<{ id: string; label: string }> {
  if (!spec) return [];
  return [
    ...spec.feeds.map((f) => ({ id: f.id, label: `${f.id} · utility feed, ${f.ratedKW} kW` })),
    ...spec.ups.flatMap((u) => [
      { id: u.id, label: `${u.id} · UPS, ${u.modules} × ${u.moduleKW} kW (${u.redundantModules} redundant)` },
      { id: `${u.id}/module`, label: `${u.id}/module · one module of ${u.id}` },
    ]),
    ...spec.devices.map((d) => ({ id: d.id, label: `${d.id} · ${d.kind}${d.ratedKW !== undefined ? `, ${d.ratedKW} kW` : ''}` })),
    ...spec.cooling.air.map((a) => ({ id: `${a.id}/unit`, label: `${a.id}/unit · one of ${a.units} CRAH units (${a.unitKW} kW, ${a.redundantUnits} redundant)` })),
    ...spec.cooling.liquid.flatMap((c) => [
      { id: `${c.id}/pump`, label: `${c.id}/pump · one of ${c.pumps} CDU pumps (${c.redundantPumps} redundant)` },
      { id: c.id, label: `${c.id} · CDU, ${c.capacityKW} kW (a leak isolates it)` },
    ]),
  ];
}

export type Verdict = 'ok' | 'armed' | 'unsafe';

export function verdict(c: Contingency): Verdict {
  if (!c.inTime || c.racksLost.length > 0) return 'unsafe';
  return c.overloads.length > 0 ? 'armed' : 'ok';
}

/** One table line per single failure, worst first (unsafe, most racks lost, soonest trip): what happens, what Headroom would do. */
export interface ContingencyLine {
  device: string;
  kind: string;
  verdict: Verdict;
  effect: string;
  firstTripS: number | null;
  response: string;
  cost: string;
  racksLost: number;
}

export function contingencyLines(cs: readonly Contingency[], onlyWithEffect = true): ContingencyLine[] {
  const rank: Record<Verdict, number> = { unsafe: 0, armed: 1, ok: 2 };
  return cs
    .filter((c) => !onlyWithEffect || c.overloads.length > 0 || c.racksLost.length > 0)
    .map((c) => {
      const trips = c.overloads.map((o) => o.secondsToTrip).filter((x): x is number => x !== null);
      const effect = [
        ...(c.racksLost.length ? [`${c.racksLost.length} rack${c.racksLost.length === 1 ? ' loses' : 's lose'} all supply (${c.racksLost.slice(0, 3).join(', ')}${c.racksLost.length > 3 ? ' …' : ''})`] : []),
        ...c.overloads.map(overloadText),
      ].join('; ');
      const r = c.response;
      return {
        device: c.device,
        kind: c.kind,
        verdict: verdict(c),
        effect: effect || 'nothing overloads',
        firstTripS: trips.length ? Math.min(...trips) : null,
        response:
          r.capsKW > 0
            ? `${r.path === 'brake' ? 'brake' : `cap ${r.capsKW} kW`} (${r.byRow.map((b) => `${b.row} ${b.kW}`).join(', ')}), lands in ${r.landsInS} s${!c.inTime && trips.length && r.landsInS < Math.min(...trips) ? ': not enough to take' : ''}`
            : c.racksLost.length
              ? 'none can help: racks have no supply'
              : '—',
        cost: r.capsKW > 0 ? `−${r.costPct} %` : '',
        racksLost: c.racksLost.length,
      };
    })
    .sort((a, b) => rank[a.verdict] - rank[b.verdict] || b.racksLost - a.racksLost || (a.firstTripS ?? Infinity) - (b.firstTripS ?? Infinity) || a.device.localeCompare(b.device));
}

/**
 * One stored event as a line on the recording timeline: budgets in kW, plant failures and maintenance windows by
 * device, armed responses with what they set; other kinds as kind and subject.
 */
export function timelineLine(e: RunEvent): string {
  const b = e.body;
  if (e.kind === 'budget' && typeof b.budgetKW === 'number') return `budget ${e.subject}: ${b.budgetKW} kW`;
  if (e.kind === 'armed') return b.lifted ? `armed response lifted: ${e.subject} back` : `armed response: ${e.subject} out → caps ${String(b.capsKW)} kW on ${String(b.gpus)} GPUs`;
  const ev = b.event as { kind?: string; devices?: string[]; maintenance?: boolean; durationS?: number } | undefined;
  if (e.kind === 'scenario' && ev?.kind === 'deviceFailure' && Array.isArray(ev.devices)) {
    const span = typeof ev.durationS === 'number' ? ` for ${Math.round((ev.durationS / 3600) * 10) / 10} h` : '';
    return `${ev.maintenance ? 'maintenance window' : 'failure'}: ${ev.devices.join(', ')}${span}${typeof b.by === 'string' ? ` (${b.by})` : ''}`;
  }
  return `${e.kind} ${e.subject}`;
}
