import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { certKeyId, countersigProblem, KeyIdSchema, parseAgentHeads, type CountersigRecord } from '../pki/countersig.js';
import type { StoredCountersig } from '../store/countersigs.js';
import { UsageError } from './usage.js';

/**
 * `headroom audit verify`'s check of the agents' countersignatures: those stored in control.db and those in agents'
 * audit-heads.jsonl logs an auditor collected (`--agent-heads`; an attacker who rewrote control.db may have deleted
 * rows, not the agents' logs). Each must verify (its certificate names its host, the signature holds; with `--certs`
 * the certificate was issued by the site CA), and then vouches for the chain: the record at its seq must still have
 * its hash (else the chain was rewritten and re-hashed) and exist (else the tail was cut). Heads are kept per console
 * key; a key is this trail's when pinned (`--console-key`), stored in control.db, or when one of its heads matches a
 * record of the chain. A key none of whose heads match is a finding too unless keys are pinned: the trail may have
 * been replaced from its first record.
 */
export interface CountersigInputs {
  /** Agents' logs: file and text. */
  logs: Array<{ file: string; text: string }>;
  /** The site CA (`--certs DIR`), or null: signatures are then checked against the certificates they carry. */
  ca: X509Certificate | null;
  /** This console's key ids (`--console-key`), or null: found from control.db and the chain. */
  consoleKeys: Set<string> | null;
}

/** Read what the options name; anything unreadable is bad input (exit 2), not a verdict on the trail. */
export function countersigInputs(o: { agentHeads: string[]; certs?: string; consoleKeys: string[] }): CountersigInputs {
  const logs = o.agentHeads.map((file) => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (e) {
      throw new UsageError(`--agent-heads ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  });
  let ca: X509Certificate | null = null;
  if (o.certs !== undefined) {
    const file = join(o.certs, 'ca.crt');
    try {
      ca = new X509Certificate(readFileSync(file));
    } catch (e) {
      throw new UsageError(`--certs ${o.certs}: no readable site CA certificate ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const keys = o.consoleKeys.map((k) => {
    if (KeyIdSchema.safeParse(k).success) return k;
    try {
      return certKeyId(readFileSync(k, 'utf8'));
    } catch {
      throw new UsageError(`--console-key ${k}: neither a key id (sha256: and 64 hex digits, as serve prints it) nor a readable certificate`);
    }
  });
  return { logs, ca, consoleKeys: keys.length ? new Set(keys) : null };
}

export interface CountersigVerdict {
  /** One line per finding (exit 1 when any). */
  findings: string[];
  /** What was checked, for the intact line; null when there was nothing to check. */
  summary: string | null;
}

const when = (atMs: number) => new Date(atMs).toISOString();
const short = (h: string | undefined) => (h === undefined ? 'none' : `${h.slice(0, 16)}…`);
/** Findings of one kind are many when a chain was rewritten early (every later head differs): say each agent's first. */
const MAX_LINES = 50;

/** Hold the countersignatures against a chain that verified by itself (records 1..chainEnd). */
export function checkCountersigs(chainEnd: number, hashAt: (seq: number) => string | undefined, stored: readonly StoredCountersig[], inputs: CountersigInputs): CountersigVerdict {
  const findings: string[] = [];
  const valid: CountersigRecord[] = [];
  const check = (r: CountersigRecord) => {
    const problem = r.cert === '' ? 'its certificate is missing from control.db' : countersigProblem(r, inputs.ca);
    if (problem) findings.push(`audit countersignature FORGED: ${r.where}: ${r.host}'s countersignature of record ${r.seq}: ${problem}`);
    else valid.push(r);
  };
  for (const s of stored) check({ ...s, where: 'control.db' });
  let fromLogs = 0;
  for (const log of inputs.logs) {
    const p = parseAgentHeads(log.file, log.text);
    for (const problem of p.problems) findings.push(`audit agent heads FORGED: ${problem}`);
    fromLogs += p.heads.length;
    p.heads.forEach(check);
  }
  if (stored.length === 0 && inputs.logs.length === 0) return { findings, summary: null };

  const hashOf = (seq: number) => (seq === 0 ? '0'.repeat(64) : hashAt(seq));
  const matches = (r: CountersigRecord) => r.seq >= 1 && r.seq <= chainEnd && hashOf(r.seq) === r.hash;
  const ours = inputs.consoleKeys ?? new Set([...stored.map((s) => s.consoleKey), ...valid.filter(matches).map((r) => r.consoleKey)]);

  // Per agent, one line of each kind and how many more: the first rewritten record it vouched for (records come in
  // seq order), the last record past the end (the length it vouched for).
  const first = new Map<string, { line: string; more: number }>();
  const note = (key: string, line: () => string, latest = false) => {
    const f = first.get(key);
    if (!f) first.set(key, { line: line(), more: 0 });
    else {
      f.more++;
      if (latest) f.line = line();
    }
  };
  const others = new Map<string, CountersigRecord[]>();
  let checked = 0;
  let maxSeq = 0;
  const hosts = new Set<string>();
  for (const r of [...valid].sort((a, b) => a.seq - b.seq)) {
    if (!ours.has(r.consoleKey)) {
      let list = others.get(r.consoleKey);
      if (!list) others.set(r.consoleKey, (list = []));
      list.push(r);
      continue;
    }
    checked++;
    hosts.add(r.host);
    if (r.seq > chainEnd) {
      note(`${r.host}|cut`, () => `audit trail TAMPERED: the trail ends at record ${chainEnd} but agent ${r.host} countersigned record ${r.seq} at ${when(r.atMs)} (${r.where}): records removed from the end`, true);
    } else if (hashOf(r.seq) !== r.hash) {
      note(
        `${r.host}|rewrite`,
        () =>
          `audit trail TAMPERED: record ${r.seq} is not the record agent ${r.host} countersigned at ${when(r.atMs)} (${r.where}; hash ${short(hashOf(r.seq))}, countersigned ${short(r.hash)}): the chain was rewritten and re-hashed at or before record ${r.seq}`,
      );
    } else maxSeq = Math.max(maxSeq, r.seq);
  }
  for (const [key, { line, more }] of first) findings.push(more ? `${line} (and ${more} more of its countersignatures ${key.endsWith('|cut') ? 'past the end' : 'past it'})` : line);
  if (inputs.consoleKeys === null) {
    for (const [key, list] of others) {
      const by = [...new Set(list.map((r) => r.host))].join(', ');
      findings.push(
        `audit trail TAMPERED: agent${by.includes(',') ? 's' : ''} ${by} countersigned ${list.length} head${list.length === 1 ? '' : 's'} (records ${list[0]!.seq}..${list.at(-1)!.seq}) of console key ${key.slice(0, 23)}… that match no record of this trail: ` +
          `it was replaced from its first record, or they are another console's (name this console's key with --console-key)`,
      );
    }
  }
  if (findings.length > MAX_LINES) findings.splice(MAX_LINES, findings.length, `… and ${findings.length - MAX_LINES} more findings`);
  const ignored = [...others.values()].reduce((n, l) => n + l.length, 0);
  const sources = `${stored.length} in control.db${inputs.logs.length ? `, ${fromLogs} in ${inputs.logs.length} agent log${inputs.logs.length === 1 ? '' : 's'}` : ''}`;
  const trust = inputs.ca ? `certificates issued by the site CA (${inputs.ca.subject.replace(/\n/g, ', ')})` : 'signatures checked against the certificates they carry (give --certs DIR to check those against the site CA)';
  const tail = maxSeq < chainEnd ? `; records ${maxSeq + 1}..${chainEnd} not yet countersigned` : '';
  const summary =
    checked === 0
      ? `no countersignature of this trail (${sources}${ignored ? `; ${ignored} of other consoles' keys ignored` : ''})`
      : `countersigned up to seq ${maxSeq} by ${hosts.size} agent${hosts.size === 1 ? '' : 's'} (${checked} countersignatures checked: ${sources}${ignored ? `; ${ignored} of other consoles' keys ignored` : ''}; ${trust})${tail}`;
  return { findings, summary };
}
