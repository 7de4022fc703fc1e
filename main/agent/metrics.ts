import type { AgentReading, GpuInfo, LeaseState } from '../../shared/agentProtocol.js';

/**
 * The agent's read-only /metrics page, in dcgm-exporter's metric names and labels (the pre-4.9 names every exporter
 * version before 4.9 uses and every dashboard knows), so an existing Prometheus can scrape agents exactly like
 * exporters. Agent health (lease, safe cap, commands) is exported under `headroom_agent_*`. Pure: data in, text out.
 */

interface Series {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  value: (r: AgentReading, g: GpuInfo) => number | null;
}

const GPU_SERIES: readonly Series[] = [
  { name: 'DCGM_FI_DEV_POWER_USAGE', help: 'Power draw (in W).', type: 'gauge', value: (r) => r.powerW },
  { name: 'DCGM_FI_DEV_GPU_TEMP', help: 'GPU temperature (in C).', type: 'gauge', value: (r) => r.tempC },
  { name: 'DCGM_FI_DEV_MEMORY_TEMP', help: 'Memory temperature (in C).', type: 'gauge', value: (r) => r.memTempC },
  { name: 'DCGM_FI_DEV_SM_CLOCK', help: 'SM clock frequency (in MHz).', type: 'gauge', value: (r) => r.smClockMHz },
  { name: 'DCGM_FI_DEV_GPU_UTIL', help: 'GPU utilization (in %).', type: 'gauge', value: (r) => r.utilPct },
  { name: 'DCGM_FI_DEV_POWER_MGMT_LIMIT', help: 'Current power limit for the device (in W).', type: 'gauge', value: (r) => r.limitW },
  { name: 'DCGM_FI_DEV_ENFORCED_POWER_LIMIT', help: 'Effective power limit that the driver enforces (in W).', type: 'gauge', value: (r) => r.limitW },
  { name: 'DCGM_FI_DEV_POWER_MGMT_LIMIT_MIN', help: 'Minimum power management limit (in W).', type: 'gauge', value: (_r, g) => g.minLimitW },
  { name: 'DCGM_FI_DEV_POWER_MGMT_LIMIT_MAX', help: 'Maximum power management limit (in W).', type: 'gauge', value: (_r, g) => g.maxLimitW },
  { name: 'DCGM_FI_DEV_CLOCKS_EVENT_REASONS', help: 'Current clock event reasons (bitmask).', type: 'gauge', value: (r) => r.clockEventMask },
];

export interface AgentCounters {
  commandsAccepted: number;
  /** Refused commands by reason code. */
  rejected: Record<string, number>;
  readErrors: number;
  consoles: number;
  /** Control connections dropped before they served a console, by reason (timeout, per-source, global, tls, revoked…). */
  dropped?: Record<string, number>;
  /** Unauthenticated control connections now. */
  pending?: number;
  /** The highest controller epoch acted for (fencing; 0: none seen). */
  epoch?: number;
  /** Leases that lapsed to the safe cap (no renewal in time). */
  leaseLapses?: number;
  /** Commands accepted per controller epoch ("0": none given), the last few epochs only. */
  acceptedByEpoch?: Record<string, number>;
}

/** Escape a label value per the text exposition format. */
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderMetrics(host: string, gpus: readonly GpuInfo[], readings: readonly AgentReading[], state: LeaseState, counters: AgentCounters): string {
  const byUuid = new Map(gpus.map((g) => [g.uuid, g]));
  const lines: string[] = [];
  for (const s of GPU_SERIES) {
    lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
    for (const r of readings) {
      const g = byUuid.get(r.uuid);
      if (!g) continue;
      const v = s.value(r, g);
      if (v === null) continue;
      const labels = `gpu="${g.index}",UUID="${esc(g.uuid)}",device="nvidia${g.index}",modelName="${esc(g.name)}",Hostname="${esc(host)}"`;
      lines.push(`${s.name}{${labels}} ${v}`);
    }
  }
  const h = `Hostname="${esc(host)}"`;
  lines.push(
    '# HELP headroom_agent_lease_active 1 while a console lease holds the setpoints, 0 at the safe cap.',
    '# TYPE headroom_agent_lease_active gauge',
    `headroom_agent_lease_active{${h}} ${state.mode === 'leased' ? 1 : 0}`,
    '# HELP headroom_agent_safe_cap_watts Power limit applied when no lease holds (W).',
    '# TYPE headroom_agent_safe_cap_watts gauge',
    `headroom_agent_safe_cap_watts{${h}} ${state.safeCapW}`,
    '# HELP headroom_agent_consoles Connected consoles.',
    '# TYPE headroom_agent_consoles gauge',
    `headroom_agent_consoles{${h}} ${counters.consoles}`,
    '# HELP headroom_agent_commands_accepted_total Commands accepted.',
    '# TYPE headroom_agent_commands_accepted_total counter',
    `headroom_agent_commands_accepted_total{${h}} ${counters.commandsAccepted}`,
    '# HELP headroom_agent_commands_rejected_total Commands rejected, by reason.',
    '# TYPE headroom_agent_commands_rejected_total counter',
    ...Object.entries(counters.rejected).map(([code, n]) => `headroom_agent_commands_rejected_total{${h},reason="${esc(code)}"} ${n}`),
    '# HELP headroom_agent_unauthenticated_connections Control connections not yet authenticated.',
    '# TYPE headroom_agent_unauthenticated_connections gauge',
    `headroom_agent_unauthenticated_connections{${h}} ${counters.pending ?? 0}`,
    '# HELP headroom_agent_connections_dropped_total Control connections dropped before serving a console, by reason.',
    '# TYPE headroom_agent_connections_dropped_total counter',
    ...Object.entries(counters.dropped ?? {}).map(([reason, n]) => `headroom_agent_connections_dropped_total{${h},reason="${esc(reason)}"} ${n}`),
    '# HELP headroom_agent_controller_epoch Highest controller leadership epoch acted for; older ones are refused.',
    '# TYPE headroom_agent_controller_epoch gauge',
    `headroom_agent_controller_epoch{${h}} ${counters.epoch ?? 0}`,
    '# HELP headroom_agent_commands_accepted_by_epoch_total Commands accepted, by controller epoch (the last 8 epochs).',
    '# TYPE headroom_agent_commands_accepted_by_epoch_total counter',
    ...Object.entries(counters.acceptedByEpoch ?? {}).map(([e, n]) => `headroom_agent_commands_accepted_by_epoch_total{${h},epoch="${esc(e)}"} ${n}`),
    '# HELP headroom_agent_lease_lapses_total Leases that lapsed to the safe cap.',
    '# TYPE headroom_agent_lease_lapses_total counter',
    `headroom_agent_lease_lapses_total{${h}} ${counters.leaseLapses ?? 0}`,
    '# HELP headroom_agent_read_errors_total Failed GPU reads.',
    '# TYPE headroom_agent_read_errors_total counter',
    `headroom_agent_read_errors_total{${h}} ${counters.readErrors}`,
  );
  return lines.join('\n') + '\n';
}

/** Count an accepted command under its controller epoch, keeping the 8 highest epochs (failovers are rare). */
export function countAcceptedEpoch(counters: AgentCounters, epoch: number): void {
  const m = (counters.acceptedByEpoch ??= {});
  m[String(epoch)] = (m[String(epoch)] ?? 0) + 1;
  const keys = Object.keys(m);
  if (keys.length > 8) delete m[keys.map(Number).sort((a, b) => a - b)[0]!];
}
