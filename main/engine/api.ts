import type { ControllerStatus } from '../../shared/domain/controller.js';
import { channelRoles, type Handlers, type RequestChannel, type ResponseTypes } from '../../shared/contract.js';
import type { Actor } from '../../shared/domain/control.js';
import type { DrillEvent } from '../../shared/domain/scenario.js';
import type { RangeSeries } from '../../shared/domain/fleet.js';
import type { EventWindow, GpuHistory } from '../../shared/domain/history.js';
import type { Engine } from './engine.js';
import type { PlantWatch } from './plantWatch.js';
import type { PlantView } from '../../shared/domain/plant.js';
import type { WorkflowsOverview } from '../../shared/domain/workflows.js';
import { RefusalError, type DrillApi, type GridApi, type AlertOps, type AuditApi, type ControlApi, type IncidentApi, type PlacementApi, type PlannerApi, type ReplayApi, type SourcesApi, type TelemetryReader } from '../core/ports.js';
import type { Runner } from './runner.js';
import { routingWeights, serverLayout, type ServerLayout } from '../core/routingWeights.js';

export interface HandlerDeps {
  engine: Engine;
  runner: Runner;
  /** Stored telemetry, or null when nothing is stored (ranges, events and GPU histories answer empty). */
  telemetry: TelemetryReader | null;
  control: ControlApi;
  alertOps: AlertOps;
  audit: AuditApi;
  planner: PlannerApi;
  /** TAPAS placement advice from stored history (main/app/placementApi.ts); absent: refused. */
  placement?: PlacementApi;
  /** The grid view's feed (main/app/gridFeed.ts); absent: refused. */
  grid?: GridApi;
  /** The Workflows view (main/app/workflowsView.ts) at the engine's time; absent: refused. */
  workflows?: (p: { budgetPct: number }, nowMs: number) => WorkflowsOverview;
  /** Start a drill event on the simulator now (throws RefusalError for an unknown row). */
  drill: (event: DrillEvent, reason: string, actor: Actor) => ResponseTypes['sim:inject'];
  /** Library drills, scored (main/app/liveDrills.ts). */
  drills: DrillApi;
  sources: SourcesApi;
  incidents: IncidentApi;
  replays: ReplayApi;
  /** Live N-1 analysis of the site's plant, or null where the topology describes none. */
  plant?: PlantWatch | null;
  /** Lift an armed response in force (audited); RefusalError when none is in force for the device. */
  liftArmed?: (device: string, reason: string, actor: Actor) => ResponseTypes['plant:lift'];
  /** A real fleet runs in wall-clock time: its speed cannot change. */
  realFleet?: boolean;
  /** Audit a change of the run's state (pause, resume, speed, seek) with the person who made it. */
  auditRun?: (actor: Actor, oldValue: string, newValue: string) => void;
  /** Playing back a recording: every acting channel but playback control is refused (see `readOnly`). */
  recording?: { file: string; t0Ms: number; t1Ms: number };
  /** Leadership of the controller set this process belongs to (`serve --controller`); absent: none. */
  controller?: () => ControllerStatus;
}

/**
 * The contract's engine-side implementation, shared by Electron IPC and the headless server. Payloads arrive
 * validated and role-checked (see `dispatch`); these functions only read or steer the engine's services.
 */
export function createHandlers(d: HandlerDeps): Handlers {
  const h = baseHandlers(d);
  return d.recording ? readOnly(h, d.recording.file) : h;
}

/** Playback control stays open in a recording: it moves the console's time, not the fleet's. */
const PLAYBACK_CHANNELS: ReadonlySet<RequestChannel> = new Set(['sim:control']);

/**
 * A recording is read-only: every channel the contract's role table marks as acting (above viewer), except playback
 * control, is refused. Derived from the table, so a new acting channel is refused without being listed here.
 */
function readOnly(h: Handlers, file: string): Handlers {
  const out = { ...h } as Record<RequestChannel, unknown>;
  for (const c of Object.keys(channelRoles) as RequestChannel[]) {
    if (channelRoles[c] === 'viewer' || PLAYBACK_CHANNELS.has(c)) continue;
    out[c] = () => {
      throw new RefusalError(`${file} is a recording: read-only`);
    };
  }
  return out as Handlers;
}

function baseHandlers(d: HandlerDeps): Handlers {
  const { engine, runner, control, alertOps, audit } = d;
  const t = engine.topology;
  /** Per server, where its GPUs, rack, row and slowdown are (built on the first routing:weights). */
  let layout: ServerLayout | null = null;
  return {
    'fleet:topology': () => t,
    'fleet:snapshot': () => (engine.ticks > 0 ? engine.snapshot() : null),
    'status:get': () => runner.status(),
    'alerts:list': (p) => {
      const active = engine.activeAlerts();
      if (!p.includeResolved) return active;
      // History carries its acks too (who acknowledged what, before it resolved).
      return [...active, ...alertOps.decorate([...engine.alerts.resolved].reverse(), engine.nowMs)];
    },
    'telemetry:range': (p): RangeSeries => {
      const ids = p.scope === 'site' ? [t.site.id] : p.scope === 'row' ? t.rows.map((r) => r.id) : t.racks.map((r) => r.id);
      if (!d.telemetry) return pick({ scope: p.scope, resS: p.resS, ids, tMs: [], avgKW: ids.map(() => []), maxKW: ids.map(() => []) }, p.ids);
      // Rollups hold every entity of the scope in one vector: read them all, answer only the ones asked for.
      return pick(d.telemetry.range(p, ids), p.ids);
    },
    'telemetry:events': (p): EventWindow => {
      const rows = t.rows.map((r) => r.id);
      if (!d.telemetry) return { fromMs: p.fromMs, toMs: p.toMs, events: [], budgetsBefore: [], truncated: false };
      return d.telemetry.events(p, rows);
    },
    'telemetry:gpu': (p): GpuHistory => {
      if (p.gpu >= t.gpuCount) throw new RefusalError(`no GPU ${p.gpu}: this site has ${t.gpuCount} (0…${t.gpuCount - 1})`);
      if (!d.telemetry) return { gpu: p.gpu, fromMs: p.fromMs, toMs: p.toMs, tMs: [], powerW: [], limitW: [], tempC: [], clockMHz: [], util: [], flags: [] };
      return d.telemetry.gpu(p.gpu, p.fromMs, p.toMs);
    },
    'sim:control': (p, actor) => {
      const was = runner.status();
      const words = (s: { paused: boolean; speed: number }) => `${s.paused ? 'paused' : 'running'} at ×${s.speed}`;
      // A real fleet runs in real time: pausing would stop watching (and capping) GPUs that keep drawing power.
      if (d.realFleet && p.action !== 'resume') throw new RefusalError(`a real fleet runs in real time: it cannot ${p.action === 'pause' ? 'be paused' : p.action === 'seek' ? 'seek' : 'change speed'}`);
      if (p.action === 'seek') {
        const r = d.recording;
        if (!r) throw new RefusalError('seeking plays back a recording; this console runs live');
        if (p.tMs < r.t0Ms || p.tMs > r.t1Ms) throw new RefusalError(`${new Date(p.tMs).toISOString()} is outside the recording (${new Date(r.t0Ms).toISOString()} → ${new Date(r.t1Ms).toISOString()})`);
        runner.seek(p.tMs);
      } else if (p.action === 'pause') runner.pause();
      else if (p.action === 'resume') runner.resume();
      else runner.setSpeed(p.speed);
      const now = runner.status();
      if (p.action === 'seek') d.auditRun?.(actor, `at ${new Date(was.simTimeMs).toISOString()}`, `seek to ${new Date(p.tMs).toISOString()}`);
      else if (words(was) !== words(now)) d.auditRun?.(actor, words(was), words(now));
      return now;
    },
    'sim:inject': (p, actor) => d.drill(p.event, p.reason, actor),
    'drill:library': () => d.drills.library(),
    'drill:start': (p, actor) => d.drills.start(p, actor),
    'drill:end': (p, actor) => d.drills.end(p.reason, actor),
    'drill:status': () => d.drills.status(),
    'drill:reports': () => d.drills.reports(),
    'drill:report': (p) => d.drills.report(p.id),
    'session:whoami': (_p, actor) => actor,
    'control:summary': () => control.summary(),
    'control:gpus': (p) => control.gpus(p.gpus),
    'override:preview': (p) => control.preview(p.target, p.action),
    'override:set': (p, actor) => control.setOverride(p, actor),
    'override:clear': (p, actor) => {
      control.clearOverride(p.id, p.reason, actor);
      return { cleared: p.id };
    },
    'automation:set': (p, actor) => control.setAutomation(p.row, p.enabled, p.reason, actor),
    'brake:row': (p, actor) => control.brakeRow(p.row, p.engage, p.reason, actor),
    'policy:get': () => control.getPolicy(),
    'policy:set': (p, actor) => control.setPolicy(p.config, p.reason, actor),
    'alerts:ack': (p, actor) => alertOps.ack(p.id, p.comment, actor),
    'alerts:ackGroup': (p, actor) => alertOps.ackGroup(p.group, p.comment, actor),
    'alerts:silence': (p, actor) => alertOps.silence({ matchers: p.matchers, durationS: p.durationS, comment: p.comment }, actor),
    'alerts:unsilence': (p, actor) => {
      alertOps.unsilence(p.id, p.reason, actor);
      return { removed: p.id };
    },
    'alerts:silences': () => alertOps.silences(),
    'audit:list': (p) => audit.list(p),
    'audit:verify': () => audit.verify(),
    'planner:sweep': (p, _actor, ctx) => d.planner.sweep(p, ctx?.signal),
    'planner:cancel': () => ({ cancelled: d.planner.cancel() }),
    'routing:weights': () => {
      layout ??= serverLayout(engine.topology);
      return routingWeights(engine.topology, layout, { tMs: engine.nowMs, tempC: engine.live.tempC, rackInletC: engine.rackInletC, rowW: engine.controlRowW, rowBudgetKW: engine.rowBudgetKW });
    },
    'workflows:overview': (p) => {
      if (!d.workflows) throw new RefusalError('no workflows declared in this console');
      return d.workflows(p, engine.nowMs);
    },
    'grid:window': (p) => {
      if (!d.grid) throw new RefusalError('no grid feed in this console');
      return d.grid.window(p);
    },
    'placement:query': (p) => {
      if (!d.placement) throw new RefusalError('placement advice needs stored history (start with --db)');
      return d.placement.query(p);
    },
    'profiles:rack': (p) => {
      if (!d.placement) throw new RefusalError('a rack profile needs stored history (start with --db)');
      return d.placement.rackProfile(p);
    },
    'profiles:forecast': (p) => {
      if (!d.placement) throw new RefusalError('a forecast needs stored history (start with --db)');
      return d.placement.forecast(p);
    },
    'sources:list': () => d.sources.view(),
    'sources:test': (p) => d.sources.test(p.source),
    'sources:add': (p, actor) => d.sources.add(p.source, p.reason, actor),
    'sources:remove': (p, actor) => d.sources.remove(p.id, p.reason, actor),
    'incident:save': (p, actor) => d.incidents.save(p, actor),
    'incident:report': (p) => d.incidents.report(p),
    'replay:info': () => d.replays.info(),
    'replay:start': (p) => d.replays.start(p),
    'replay:status': (p) => d.replays.status(p.id),
    'recording:notes': () => d.incidents.notes(),
    'recording:annotate': (p, actor) => d.incidents.annotate(p, actor),
    'controller:status': () => d.controller?.() ?? null,
    'plant:lift': (p, actor) => {
      if (!d.liftArmed) throw new RefusalError('this site describes no plant, so no response is armed');
      return d.liftArmed(p.device, p.reason, actor);
    },
    'plant:contingency': (p): PlantView => {
      const w = d.plant;
      if (!w) return { available: false, reason: d.recording ? 'a recording is played back: the plant is analysed live only' : 'this site describes no plant (topology `plant:`; docs/SCENARIOS.md)' };
      if (p.maintenance?.length) {
        try {
          return { available: true, ...w.analyse(engine, p.maintenance) };
        } catch (e) {
          throw new RefusalError(e instanceof Error ? e.message : String(e));
        }
      }
      return { available: true, ...(w.latest ?? w.analyse(engine)) };
    },
  };
}

/** The entities `only` names, in that order (unknown ids are left out); all when `only` is absent. */
function pick(r: RangeSeries, only: readonly string[] | undefined): RangeSeries {
  if (!only) return r;
  const cols = only.map((id) => r.ids.indexOf(id)).filter((c) => c >= 0);
  return { ...r, ids: cols.map((c) => r.ids[c]!), avgKW: cols.map((c) => r.avgKW[c] ?? []), maxKW: cols.map((c) => r.maxKW[c] ?? []) };
}
