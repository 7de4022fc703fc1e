import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Actor } from '../../shared/domain/control.js';
import { DRILLS, drillById, drillEventText, type DrillListing, type DrillReport, type DrillReportSummary, type DrillSide, type DrillSpec, type DrillStatus } from '../../shared/domain/drills.js';
import type { DrillEvent, ScenarioEvent } from '../../shared/domain/scenario.js';
import { DrillTally } from '../core/drillScore.js';
import { RefusalError, type AuditApi, type AuditSink, type DrillApi } from '../core/ports.js';
import type { ControlService } from '../engine/control/service.js';
import type { Engine, TickService } from '../engine/engine.js';
import { startWorker } from '../node/workers.js';
import type { LoadedScenario } from '../sim/config.js';
import { checkReferences, ScenarioError } from '../sim/references.js';
import type { Simulator } from '../sim/simulator.js';
import { assembleReport, drillScope, maxClocks, tallyTick } from './drill.js';
import { drillHtml, RowBins } from './drillReport.js';

export interface LiveDrillDeps {
  sim: Simulator | null;
  loaded: LoadedScenario | null;
  seed: number;
  engine: Engine;
  control: ControlService;
  audit: AuditSink & AuditApi;
  /** Where reports are kept (`<data folder>/drills`); null: in memory only. */
  dir: string | null;
}

interface Running {
  spec: DrillSpec;
  by: string;
  automation: boolean;
  startedMs: number;
  endsAtMs: number;
  startS: number;
  placed: ScenarioEvent[];
  /** Rows whose automation the drill switched off (switched back on at its end). */
  pausedRows: string[];
  tally: DrillTally;
  brakesAtStart: Int32Array;
  bins: RowBins;
  gpuSet: ReadonlySet<number>;
}

const KEEP_REPORTS = 200;

/**
 * Drills in the console (issue 13 item 9): a library drill starts on the running simulator — its events on the
 * timeline from now, automation on its rows left on or switched off (audited) — and is tallied tick by tick like the
 * headless runs (core/drillScore.ts): the operator's detection is their first acknowledgement of an alert on the
 * drill's rows, their first action the first lock, cap or brake there beyond the drill's start. When it ends (its
 * time is up, or an operator ends it: its events stop), a worker re-simulates the same timeline with Headroom's
 * controller on (and without the drill, for the work lost), and the after-action report — the operator's side beside
 * the automatic one, row charts, alerts and the audited actions of the window, in the incident report's HTML — is
 * kept in `<data folder>/drills/` and listed.
 */
export function createLiveDrills(d: LiveDrillDeps): { api: DrillApi; service: TickService; inject: (event: DrillEvent, reason: string, actor: Actor) => { event: string; atMs: number } } {
  const { engine, control, audit } = d;
  const clocks = maxClocks(engine.topology);
  let running: Running | null = null;
  let scoring = false;
  let lastReport: string | null = null;
  let error: string | null = null;
  const reports: DrillReport[] = loadReports(d.dir);
  const htmlById = new Map<string, string>();

  const requireSim = (): Simulator => {
    if (!d.sim || !d.loaded) throw new RefusalError('drills run on the simulator; this console watches a real fleet');
    return d.sim;
  };

  const inject = (event: DrillEvent, reason: string, actor: Actor) => {
    const sim = requireSim();
    let at: ScenarioEvent;
    try {
      at = sim.inject(event);
    } catch (e) {
      if (e instanceof ScenarioError) throw new RefusalError(e.message);
      throw e;
    }
    const target = 'row' in event ? `row ${event.row}` : 'rows' in event ? `rows ${event.rows.join(', ')}` : `${event.maintenance ? 'maintenance' : 'failure'} ${event.devices.join(', ')}`;
    audit.append({ actor, kind: event.kind === 'deviceFailure' && event.maintenance ? 'maintenance' : 'drill', target, oldValue: '', newValue: JSON.stringify(at), reason, outcome: 'ok' }, engine.nowMs);
    // atS: the simulator's second the drill starts at (a replay puts it there on the scenario's timeline).
    engine.note({ kind: 'scenario', subject: target, body: { event, atS: at.atS, by: actor.user, reason } });
    return { event: drillEventText(event), atMs: engine.nowMs };
  };

  const status = (): DrillStatus => ({
    active: running && { drill: running.spec.id, title: running.spec.title, objective: running.spec.objective, rows: [...running.spec.rows], automation: running.automation, by: running.by, startedMs: running.startedMs, endsAtMs: running.endsAtMs },
    scoring,
    lastReport,
    error,
  });

  const applies = (spec: DrillSpec): string | null => {
    if (!d.sim || !d.loaded) return 'drills run on the simulator';
    const rows = new Set(engine.topology.rows.map((r) => r.id));
    const missing = spec.rows.filter((r) => !rows.has(r));
    if (missing.length) return `this site has no row ${missing.join(', ')}`;
    try {
      checkReferences({ ...d.loaded.scenario, events: spec.events.map((e) => ({ ...e, atS: 0 })) }, engine.topology);
      return null;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  };

  function finish(ended: 'completed' | 'ended early', actor: Actor | null, reason: string): void {
    const r = running!;
    running = null;
    const sim = d.sim!;
    if (ended === 'ended early') sim.endEvents(r.placed);
    const rowsNow = r.pausedRows.length ? control.summary().rows : [];
    for (const row of r.pausedRows) {
      const rc = rowsNow.find((x) => x.row === row);
      if (rc && !rc.automation) control.setAutomation(row, true, `drill ${r.spec.id} over: automation back on`, actor ?? { user: r.by, role: 'operator' });
    }
    const endMs = engine.nowMs;
    audit.append({ actor: actor ?? { user: r.by, role: 'operator' }, kind: 'drill', target: `drill ${r.spec.id}`, oldValue: 'running', newValue: ended, reason, outcome: 'ok' }, endMs);
    engine.note({ kind: 'scenario', subject: `drill ${r.spec.id}`, body: { ended, by: actor?.user ?? r.by } });
    // The automatic side: the same timeline re-simulated with the controller on, off the engine's thread.
    const timeline = sim.timeline();
    const keys = new Set(r.placed.map((e) => JSON.stringify(e)));
    const loaded = d.loaded!;
    const job = {
      loaded: { ...loaded, scenario: { ...loaded.scenario, events: timeline } },
      without: { ...loaded, scenario: { ...loaded.scenario, events: timeline.filter((e) => !keys.has(JSON.stringify(e))) } },
      seed: d.seed,
      startS: r.startS,
      durationS: (endMs - r.startedMs) / 1000,
      rows: r.spec.rows,
    };
    scoring = true;
    error = null;
    const worker = startWorker(import.meta.url, 'drillWorker', job);
    const fail = (msg: string) => {
      if (!scoring) return;
      scoring = false;
      error = `the drill's automatic side could not be computed: ${msg}`;
    };
    worker.on('message', (m: { kind: 'result'; side: DrillSide; baselineWorkGpuS: number } | { kind: 'error'; error: string }) => {
      if (m.kind === 'error') return fail(m.error);
      scoring = false;
      void worker.terminate();
      const operator = r.tally.side('operator', m.baselineWorkGpuS);
      const id = `${new Date(r.startedMs).toISOString().replace(/[:.]/g, '-')}-${r.spec.id}`;
      const report: DrillReport = { ...assembleReport(r.spec, { seed: d.seed, warmS: r.startS }, operator, [operator, m.side]), id, atMs: r.startedMs, by: r.by, automation: r.automation, durationS: job.durationS };
      const actions = audit.list({ limit: 500 }).filter((a) => a.simMs >= r.startedMs && a.simMs <= endMs + 1000);
      const html = drillHtml(report, r.bins, r.spec, actions, alertEvents(engine, r, endMs));
      save(report, html);
      lastReport = id;
    });
    worker.once('error', (e) => fail(e.message));
    worker.once('exit', (code) => fail(`the drill worker stopped (exit ${code})`));
  }

  function save(report: DrillReport, html: string): void {
    reports.push(report);
    while (reports.length > KEEP_REPORTS) reports.shift();
    htmlById.set(report.id!, html);
    if (!d.dir) return;
    try {
      mkdirSync(d.dir, { recursive: true });
      for (const [ext, text] of [['json', JSON.stringify(report, null, 2)], ['html', html]] as const) {
        const f = join(d.dir, `${report.id}.${ext}`);
        writeFileSync(`${f}.tmp`, text);
        renameSync(`${f}.tmp`, f);
      }
    } catch (e) {
      error = `the drill report could not be written to ${d.dir}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  const api: DrillApi = {
    library: (): DrillListing[] =>
      DRILLS.map((s) => {
        const why = applies(s);
        return { id: s.id, title: s.title, description: s.description, objective: s.objective, rows: [...s.rows], durationS: s.durationS, applies: why === null, why };
      }),
    start(req, actor) {
      const sim = requireSim();
      if (running) throw new RefusalError(`drill ${running.spec.id} is running (by ${running.by}); end it first`);
      if (scoring) throw new RefusalError('the last drill is still being scored; try again in a moment');
      const spec = drillById(req.drill);
      if (!spec) throw new RefusalError(`no drill "${req.drill}" (${DRILLS.map((x) => x.id).join(', ')})`);
      const why = applies(spec);
      if (why) throw new RefusalError(`drill ${spec.id} does not apply to this site: ${why}`);
      const startS = sim.elapsed;
      let placed: ScenarioEvent[];
      try {
        placed = sim.schedule(spec.events);
      } catch (e) {
        throw new RefusalError(e instanceof Error ? e.message : String(e));
      }
      const pausedRows: string[] = [];
      if (!req.automation) {
        const rowsNow = control.summary().rows;
        for (const row of spec.rows) {
          const rc = rowsNow.find((x) => x.row === row);
          if (rc && !rc.automation) continue;
          control.setAutomation(row, false, `drill ${spec.id}: the operator responds alone`, actor);
          pausedRows.push(row);
        }
      }
      const scope = drillScope(engine.topology, spec.rows);
      const tally = new DrillTally(scope, engine.nowMs);
      tally.startControl = engine.rowControl ? [...engine.rowControl] : null;
      running = { spec, by: actor.user, automation: req.automation, startedMs: engine.nowMs, endsAtMs: engine.nowMs + spec.durationS * 1000, startS, placed, pausedRows, tally, brakesAtStart: Int32Array.from(control.rowBrakes), bins: new RowBins(engine.topology, spec.rows), gpuSet: new Set(scope.gpus) };
      audit.append({ actor, kind: 'drill', target: `drill ${spec.id}`, oldValue: '', newValue: `started (${spec.durationS} s, rows ${spec.rows.join(', ')}, automation ${req.automation ? 'on' : 'off'})`, reason: req.reason, outcome: 'ok' }, engine.nowMs);
      engine.note({ kind: 'scenario', subject: `drill ${spec.id}`, body: { started: spec.id, atS: startS, by: actor.user, reason: req.reason, automation: req.automation } });
      return status();
    },
    end(reason, actor) {
      if (!running) throw new RefusalError('no drill is running');
      finish('ended early', actor, reason);
      return status();
    },
    status,
    reports: (): DrillReportSummary[] =>
      [...reports].reverse().map((r) => ({ id: r.id!, drill: r.drill, title: r.title, atMs: r.atMs!, by: r.by ?? '', automation: r.automation ?? true, score: r.score, automaticScore: r.sides.find((s) => s.responder === 'automatic')?.score ?? null })),
    report(id) {
      const r = reports.find((x) => x.id === id);
      if (!r) throw new RefusalError(`no drill report "${id}"`);
      let html = htmlById.get(id);
      if (!html && d.dir) {
        try {
          html = readFileSync(join(d.dir, `${id}.html`), 'utf8');
        } catch {
          html = undefined;
        }
      }
      return { report: r, fileName: `${id}.html`, html: html ?? drillHtml(r, null, drillById(r.drill) ?? null, [], []) };
    },
  };

  const service: TickService = {
    onTick(e: Engine, nowMs: number) {
      const r = running;
      if (!r) return;
      tallyTick(r.tally, e, control, clocks, r.brakesAtStart, false);
      // The operator's first action: an override on the drill's GPUs, or a row brake by hand, set since the start
      // (commanded, not landed: out-of-band caps take 40 s to land).
      if (r.tally.actionMs === null) {
        for (const o of control.overridesNow()) if (o.createdAtMs >= r.startedMs && o.gpus.some((g) => r.gpuSet.has(g))) r.tally.acted(o.createdAtMs);
        for (const c of e.rowControl ?? []) if (c.manualBrake && c.manualBrake.sinceMs >= r.startedMs && r.spec.rows.includes(c.row)) r.tally.acted(c.manualBrake.sinceMs);
      }
      r.bins.add(e, nowMs);
      // The operator's detection: their first acknowledgement of an alert on the drill's rows (or the site's).
      if (r.tally.detectMs === null) {
        const rows = new Set(r.spec.rows);
        const acked = e.activeAlerts().filter((a) => a.ack && a.ack.atMs >= r.startedMs && (a.row === null || rows.has(a.row)));
        if (acked.length) r.tally.detected(Math.min(...acked.map((a) => a.ack!.atMs)));
      }
      if (nowMs >= r.endsAtMs) finish('completed', null, 'the drill\'s time is up');
    },
  };
  return { api, service, inject };
}

/** The alerts that fired on the drill's rows (or the site's) during its window, for the report's timeline. */
function alertEvents(engine: Engine, r: Running, endMs: number): Array<{ tMs: number; kind: string; subject: string; text: string }> {
  const rows = new Set(r.spec.rows);
  const all = [...engine.alerts.resolved, ...engine.alerts.alerts.values()];
  return all
    .filter((a) => a.firingSinceMs !== null && a.firingSinceMs >= r.startedMs && a.firingSinceMs <= endMs && (a.row === null || rows.has(a.row)))
    .sort((a, b) => a.firingSinceMs! - b.firingSinceMs!)
    .slice(0, 300)
    .map((a) => ({ tMs: a.firingSinceMs!, kind: `alert ${a.severity}`, subject: a.subject.id, text: a.summary }));
}

function loadReports(dir: string | null): DrillReport[] {
  if (!dir) return [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: DrillReport[] = [];
  for (const n of names.slice(-KEEP_REPORTS)) {
    try {
      const r = JSON.parse(readFileSync(join(dir, n), 'utf8')) as DrillReport;
      if (r && typeof r.id === 'string' && Array.isArray(r.sides)) out.push(r);
    } catch {
      // A report that cannot be read is left where it is and not listed.
    }
  }
  return out;
}
