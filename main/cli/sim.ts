import { writeFileSync, renameSync } from 'node:fs';
import { Engine } from '../engine/engine.js';
import { ReportBuilder, type SimReport } from '../engine/report.js';
import { loadScenario, loadTraces } from '../sim/config.js';
import { Simulator } from '../sim/simulator.js';
import { SimSource } from '../sources/simSource.js';
import { openTelemetryDb } from '../store/telemetryDb.js';
import { TelemetryWriter } from '../store/telemetry.js';

export interface SimOptions {
  scenario: string;
  seed?: number;
  durationS: number;
  scale?: number;
  /** Optional telemetry.db to record into (synchronous, batch mode). */
  db?: string | null;
  onProgress?: (doneS: number, totalS: number) => void;
}

/** Run a scenario as fast as possible and return its report. Deterministic for scenario + seed. */
export function runSim(o: SimOptions): SimReport {
  const { scenario, topology, source } = loadScenario(o.scenario, { scale: o.scale });
  const seed = o.seed ?? scenario.seed;
  const sim = new Simulator(topology, scenario, loadTraces(), seed);
  const engine = new Engine({ topology, source: new SimSource(sim), stepMs: scenario.stepMs, startMs: sim.timeMs, alertRules: scenario.alertRules });
  const ticks = Math.round((o.durationS * 1000) / scenario.stepMs);
  const report = new ReportBuilder(engine, ticks);
  const db = o.db ? openTelemetryDb(o.db) : null;
  const writer = db ? new TelemetryWriter(db, { rows: topology.rows.length, racks: topology.racks.length }) : null;
  const progressEvery = Math.max(1, Math.floor(ticks / 200));
  try {
    for (let i = 0; i < ticks; i++) {
      const r = engine.tick();
      report.record(r.fired);
      if (writer) {
        writer.write([
          { tMs: engine.nowMs, ...engine.live, rackW: engine.agg.rackW, rackMaxTempC: engine.agg.rackMaxTempC, rowW: engine.agg.rowW, rowMaxTempC: engine.agg.rowMaxTempC, siteW: engine.agg.siteW },
        ]);
      }
      if (o.onProgress && (i % progressEvery === 0 || i === ticks - 1)) o.onProgress(((i + 1) * scenario.stepMs) / 1000, o.durationS);
    }
    writer?.flush();
  } finally {
    db?.close();
  }
  return report.build({ scenario: source === 'default' ? 'default' : scenario.name, seed, durationS: o.durationS }, sim.services, sim.training);
}

/** Write JSON atomically: a killed process leaves the old report or the new one, never half of one. */
export function writeJsonAtomic(file: string, data: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
  renameSync(tmp, file);
}
