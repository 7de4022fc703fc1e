import { X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { HostAgent } from '../../../main/agent/agent.js';
import { SimBackend, simGpuUuid } from '../../../main/agent/simBackend.js';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { certKeyId, countersigProblem, AGENT_HEADS_FILE } from '../../../main/pki/countersig.js';
import { createCa, issueAgentCert, issueConsoleCert, loadIdentity } from '../../../main/pki/certs.js';
import { AuditTrail, GENESIS_HASH } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { storedCountersigs } from '../../../main/store/countersigs.js';
import type { DB } from '../../../main/store/db.js';
import { tempDir, until } from '../../helpers.js';
import { cutTail, rewriteAndRehash, verify } from '../../support/auditForgery.js';

/**
 * The audit chain's head, countersigned by every agent, through the real pieces: host agents with a state folder, the
 * console's runtime on a real fleet (SourceManager → AgentLink → AgentActuator), control.db on disk, and
 * `headroom audit verify`. (a) the console acts, and every agent's countersignatures land in control.db and in the
 * agent's own log; (b) a cut tail (records deleted, audit_head moved back) is refused by the agents on the next
 * command and shown by verify; (c) a record rewritten and the chain re-hashed after it verifies alone, but not against
 * the stored countersignatures nor, with those rows deleted, against the agents' logs.
 */
const HOSTS = ['gpu-c1', 'gpu-c2'];
const tmp = tempDir('headroom-countersig-');
const certs = tmp.file('certs');
const dataDir = tmp.file('data');
const controlFile = join(dataDir, 'control.db');
const agents = new Map<string, HostAgent>();
const stateDir = (host: string) => tmp.file(`state-${host}`);
const agentLog = (host: string) => join(stateDir(host), AGENT_HEADS_FILE);
let consoleKey = '';
let logs: string[] = [];
/** control.db as phase (a) left it, intact and countersigned. */
const intactCopy = tmp.file('intact-control.db');
/** A record just after the first head both agents countersigned: a rewrite there leaves a countersigned head before it. */
let rewriteSeq = 0;

afterEach(() => vi.restoreAllMocks());

async function open(): Promise<Runtime> {
  logs = [];
  const r = await createRuntime({ scenario: 'default', db: join(dataDir, 'telemetry.db'), fleet: { inventory: tmp.file('inventory.yaml'), sources: tmp.file('sources.yaml'), certs, certName: 'desk', leaseMs: 1500 }, log: (l) => logs.push(l) });
  r.runner.start();
  return r;
}

const withDb = <T>(file: string, f: (db: DB) => T): T => {
  const db = openControlDb(file);
  try {
    return f(db);
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  await createCa(certs);
  for (const h of HOSTS) await issueAgentCert(certs, h);
  await issueConsoleCert(certs, 'desk', 'control');
  consoleKey = certKeyId(loadIdentity(certs, 'console-desk').cert);
  mkdirSync(dataDir, { recursive: true });
  for (const host of HOSTS) {
    const agent = await HostAgent.start({
      host,
      backend: new SimBackend({ host, gpus: 4 }),
      identity: loadIdentity(certs, `agent-${host}`),
      listen: { host: '127.0.0.1', port: 0 },
      metricsListen: null,
      intervalMs: 200,
      safeCap: { pct: 60 },
      stateDir: stateDir(host),
    });
    agents.set(host, agent);
  }
  writeFileSync(
    tmp.file('inventory.yaml'),
    stringify({
      site: { id: 'lab', name: 'Countersig lab' },
      rows: [{ id: 'A', budgetKW: 10, coolingKW: 12, gpuModel: 'H100-SXM', racks: [{ id: 'A01', servers: HOSTS.map((host, i) => ({ host, slot: i + 1, gpus: Array.from({ length: 4 }, (_, g) => simGpuUuid(host, g)) })) }] }],
    }),
  );
  writeFileSync(tmp.file('sources.yaml'), stringify({ sources: HOSTS.map((host) => ({ kind: 'agent', id: `agent-${host}`, host, address: '127.0.0.1', port: agents.get(host)!.port })) }));
}, 30_000);

afterAll(async () => {
  for (const a of agents.values()) await a.stop();
  tmp.cleanup();
});

describe("every agent countersigns the console's audit chain head", () => {
  let keptSeq = 0;

  it('(a) the console acts; each agent keeps and countersigns its head; control.db and the agents\' logs hold the countersignatures', async () => {
    const rt = await open();
    try {
      await until('both hosts leased', () => HOSTS.every((h) => agents.get(h)!.state().mode === 'leased'), 15_000);
      // Thirty more records: the head moves, every renewal carries it, each agent keeps the newest.
      for (let i = 0; i < 30; i++) rt.audit.append({ actor: { user: 'ann', role: 'operator' }, kind: 'ack', target: `alert ${i}`, oldValue: '', newValue: 'acked', reason: `seen ${i}`, outcome: 'ok' }, rt.engine.nowMs);
      const head = rt.audit.head();
      await until('both agents kept the head', () => HOSTS.every((h) => (agents.get(h)!.auditHeads.kept(consoleKey)?.seq ?? 0) >= head.seq), 10_000);
      await until('their countersignatures stored', () => HOSTS.every((h) => withDb(controlFile, (db) => storedCountersigs(db)).some((c) => c.host === h && c.seq >= head.seq)), 5000);
      keptSeq = Math.min(...HOSTS.map((h) => agents.get(h)!.auditHeads.kept(consoleKey)!.seq));
      expect(logs.join('\n')).toContain(`audit heads: agents countersign this console's audit chain head (console key ${consoleKey})`);
    } finally {
      await rt.close();
    }
    const stored = withDb(controlFile, (db) => storedCountersigs(db));
    const ca = new X509Certificate(readFileSync(join(certs, 'ca.crt')));
    const trail = withDb(controlFile, (db) => new AuditTrail(db).list({ limit: 1_000_000 }));
    const hashAt = new Map(trail.map((r) => [r.seq, r.hash]));
    expect(new Set(stored.map((c) => c.host))).toEqual(new Set(HOSTS));
    for (const c of stored) {
      expect(c.consoleKey).toBe(consoleKey);
      expect(countersigProblem({ ...c, where: 'control.db' }, ca)).toBeNull();
      expect(c.seq === 0 ? GENESIS_HASH : hashAt.get(c.seq)).toBe(c.hash);
    }
    // One row per head an agent kept, not one per command.
    expect(new Set(stored.map((c) => `${c.host}|${c.seq}`)).size).toBe(stored.length);
    rewriteSeq = Math.max(...HOSTS.map((h) => Math.min(...stored.filter((c) => c.host === h && c.seq >= 1).map((c) => c.seq)))) + 1;
    expect(rewriteSeq).toBeLessThan(keptSeq);
    copyFileSync(controlFile, intactCopy);
    // On a read-only copy (0444 in a 0555 folder): nothing is written, not even beside it.
    const roDir = tmp.file('ro');
    mkdirSync(roDir);
    const ro = join(roDir, 'control.db');
    copyFileSync(controlFile, ro);
    chmodSync(ro, 0o444);
    chmodSync(roDir, 0o555);
    const before = readFileSync(ro);
    const r = await verify('--db', ro, '--certs', certs, '--agent-heads', agentLog('gpu-c1'), agentLog('gpu-c2'));
    expect(readdirSync(roDir)).toEqual(['control.db']);
    expect(readFileSync(ro).equals(before)).toBe(true);
    chmodSync(roDir, 0o755);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^audit trail intact: \\d+ records checked \\(.*\\): .*; countersigned up to seq \\d+ by 2 agents \\(\\d+ countersignatures checked: ${stored.length} in control\\.db, \\d+ in 2 agent logs; certificates issued by the site CA`));
    // The app's own verify (Audit view) holds the stored countersignatures against the chain too.
    expect(withDb(intactCopy, (db) => new AuditTrail(db).verify())).toMatchObject({ ok: true, message: expect.stringMatching(/countersigned by 2 agents up to seq \d+$/) });
  }, 40_000);

  it('(b) a cut tail: verify shows it at once; restarted on it, the console is refused by the agents (audit-head) and says so', async () => {
    expect(keptSeq).toBeGreaterThan(30);
    const cutAt = keptSeq - 20;
    cutTail(controlFile, cutAt);
    const cutCopy = tmp.file('cut-control.db');
    copyFileSync(controlFile, cutCopy);
    // The chain alone is consistent again; the countersignatures are not.
    const withRows = await verify('--db', cutCopy);
    expect(withRows.code).toBe(1);
    expect(withRows.err).toMatch(new RegExp(`^audit trail TAMPERED: the trail ends at record ${cutAt} but agent gpu-c\\d countersigned record \\d+ at \\S+Z \\(control\\.db\\): records removed from the end`, 'm'));
    expect(withRows.err.split('\n').filter((l) => /records removed from the end/.test(l))).toHaveLength(2); // one line per agent
    // The attacker also deletes the countersignatures: control.db alone says intact; the agents' logs do not.
    withDb(cutCopy, (db) => db.exec('DELETE FROM audit_countersigs'));
    expect((await verify('--db', cutCopy)).code).toBe(0);
    const fromLogs = await verify('--db', cutCopy, '--agent-heads', agentLog('gpu-c1'), agentLog('gpu-c2'));
    expect(fromLogs.code).toBe(1);
    expect(fromLogs.err).toMatch(new RegExp(`^audit trail TAMPERED: the trail ends at record ${cutAt} but agent gpu-c1 countersigned record \\d+ at \\S+Z \\(.*audit-heads\\.jsonl:\\d+\\): records removed from the end`, 'm'));

    // The console restarted on the cut control.db: its head is now below what the agents kept.
    const rt = await open();
    try {
      await until('both agents refuse', () => HOSTS.every((h) => (agents.get(h)!.counters.rejected['audit-head'] ?? 0) >= 1), 15_000);
      const line = await until('the console says why', () => logs.find((l) => /ERROR: gpu-c1 refused this console's audit chain head/.test(l)));
      expect(line).toMatch(
        /the console's audit chain went back from seq \d+ to \d+: rewritten or truncated\. control\.db's audit trail was rewritten or truncated after gpu-c1 countersigned it; this console no longer acts on gpu-c1 .*until someone looks/,
      );
      const view = rt.fleet!.sources.view();
      for (const s of view.sources) expect(s.health.detail).toMatch(/REFUSES this console: its audit chain went back or forked \(audit-head\)/);
      expect(rt.fleet!.source.health().find((h) => h.id === 'agent-gpu-c1')?.lastError).toMatch(/REFUSED this console \(audit-head\)/);
      // It stops acting there: no renewals, so each lease lapses to the safe cap, and the agents kept their head.
      await until('leases lapsed', () => HOSTS.every((h) => agents.get(h)!.state().mode === 'safe'), 10_000);
      const refused = agents.get('gpu-c1')!.counters.rejected['audit-head'];
      await new Promise((r) => setTimeout(r, 1200));
      expect(agents.get('gpu-c1')!.counters.rejected['audit-head']).toBe(refused);
      for (const h of HOSTS) expect(agents.get(h)!.auditHeads.kept(consoleKey)!.seq).toBeGreaterThanOrEqual(keptSeq);
    } finally {
      await rt.close();
    }
  }, 40_000);

  it('(c) a record rewritten and the chain re-hashed: intact alone, TAMPERED against the stored countersignatures and the agents\' logs', async () => {
    const file = tmp.file('rewritten-control.db');
    copyFileSync(intactCopy, file);
    rewriteAndRehash(file, rewriteSeq);
    const stored = await verify('--db', file, '--certs', certs);
    expect(stored.code).toBe(1);
    expect(stored.out).toBe('');
    const lines = stored.err.split('\n');
    expect(lines).toHaveLength(2); // one per agent: its first countersigned record past the rewrite
    for (const l of lines) expect(l).toMatch(/^audit trail TAMPERED: record \d+ is not the record agent gpu-c\d countersigned at \S+Z \(control\.db; hash [0-9a-f]{16}…, countersigned [0-9a-f]{16}…\): the chain was rewritten and re-hashed at or before record \d+/);
    expect(withDb(file, (db) => new AuditTrail(db).verify())).toMatchObject({ ok: false, message: expect.stringMatching(/is not the record agent gpu-c\d countersigned/) });

    // Forged to match: the stored hashes edited to the rewritten chain's. The signatures no longer hold.
    const edited = tmp.file('edited-control.db');
    copyFileSync(file, edited);
    withDb(edited, (db) => db.exec('UPDATE audit_countersigs SET hash = coalesce((SELECT hash FROM audit WHERE audit.seq = audit_countersigs.seq), hash)'));
    const forged = await verify('--db', edited);
    expect(forged.code).toBe(1);
    expect(forged.err).toMatch(/^audit countersignature FORGED: control\.db: gpu-c\d's countersignature of record \d+: bad signature \(forged or altered\)$/m);

    // The rows deleted: what control.db alone can show is an intact chain (the limitation the agents' logs lift).
    withDb(file, (db) => db.exec('DELETE FROM audit_countersigs'));
    const alone = await verify('--db', file);
    expect(alone.code).toBe(0);
    expect(alone.out).toMatch(/^audit trail intact: \d+ records checked .*not anchored: without --anchors a rewrite that re-hashes the chain after it cannot be detected$/);
    const logsToo = await verify('--db', file, '--certs', certs, '--agent-heads', agentLog('gpu-c1'), agentLog('gpu-c2'));
    expect(logsToo.code).toBe(1);
    expect(logsToo.err).toMatch(/^audit trail TAMPERED: record \d+ is not the record agent gpu-c1 countersigned at \S+Z \(\S+audit-heads\.jsonl:\d+; hash /m);
    expect(logsToo.err).toMatch(/agent gpu-c2 countersigned/);
  }, 30_000);

  it('bad input is exit 2: an unreadable agent log, a folder without ca.crt, a console key that is neither', async () => {
    expect((await verify('--db', intactCopy, '--agent-heads', tmp.file('nope.jsonl'))).err).toMatch(/^headroom: --agent-heads \S+nope\.jsonl: cannot be read \(ENOENT\)$/);
    expect((await verify('--db', intactCopy, '--certs', tmp.dir)).code).toBe(2);
    const k = await verify('--db', intactCopy, '--console-key', 'abc');
    expect([k.code, k.err]).toEqual([2, 'headroom: --console-key abc: neither a key id (sha256: and 64 hex digits, as serve prints it) nor a readable certificate']);
    // Another console's key pinned: this trail's heads are not checked against it, and nothing is countersigned.
    const other = await verify('--db', intactCopy, '--console-key', `sha256:${'1'.repeat(64)}`, '--agent-heads', agentLog('gpu-c1'));
    expect(other.code).toBe(0);
    expect(other.out).toMatch(/no countersignature of this trail \(\d+ in control\.db, \d+ in 1 agent log; \d+ of other consoles' keys ignored\)/);
  });
});
