import { createHash, X509Certificate, type KeyLike, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { CountersigSchema, HostSchema, Sha256HexSchema, type AuditHead, type Countersig } from '../../shared/agentProtocol.js';
import { signBody, verifyBody } from './signing.js';

/**
 * Agents' countersignatures of a console's audit chain head. Each command carries the console's committed head
 * (seq, hash); the agent keeps the latest per console key, outside the console host's reach, and signs
 * (agent host, console key id, seq, hash, atMs) with its own TLS key — the same scheme as command bodies
 * (signing.ts). The console stores what it gets back (control.db: audit_countersigs); each agent also appends
 * every head it kept to its own `audit-heads.jsonl`. `headroom audit verify` holds both against the chain: a head
 * an agent signed must still be the chain's record at that seq (a rewrite shows), and lie within it (a cut shows).
 */
export const COUNTERSIG_FORMAT = 'headroom-audit-countersig/1';
export const AGENT_HEADS_FORMAT = 'headroom-audit-heads/1';
export const AGENT_HEADS_FILE = 'audit-heads.jsonl';

/** "sha256:" + the SHA-256 (hex) of a public key's SPKI DER: names a console's key (whole, not a prefix). */
export const KeyIdSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256: and 64 lowercase hex digits');

export function keyIdOf(key: KeyObject): string {
  return `sha256:${createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

/** The key id of a certificate's public key (PEM text). */
export function certKeyId(pem: string): string {
  return keyIdOf(new X509Certificate(pem).publicKey);
}

/** SHA-256 (hex) of a certificate's DER: names the agent certificate a countersignature was made with. */
export function certFingerprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

/** What one countersignature vouches for. */
export interface CountersigFields extends AuditHead {
  /** The agent's host (its certificate names it). */
  host: string;
  /** The console's key id (keyIdOf its certificate's key). */
  consoleKey: string;
  /** When the agent first kept this head (agent clock, epoch ms). */
  atMs: number;
}

/** The exact text signed: a JSON array behind a version tag. */
export function countersigText(f: CountersigFields): string {
  return JSON.stringify([COUNTERSIG_FORMAT, f.host, f.consoleKey, f.seq, f.hash, f.atMs]);
}

export function signCountersig(f: CountersigFields, agentKey: KeyLike): string {
  return signBody(countersigText(f), agentKey);
}

/** A countersignature with the certificate it should verify under, wherever it was read from. */
export interface CountersigRecord extends CountersigFields {
  sig: string;
  /** The agent's certificate (PEM). */
  cert: string;
  /** Where it came from, for messages: "control.db", "FILE:LINE". */
  where: string;
}

/** A countersignature the console checked against the agent's TLS certificate: what control.db stores. */
export type Countersigned = Omit<CountersigRecord, 'where'>;

/**
 * Why a countersignature cannot be trusted, or null when it holds: the certificate parses and names the host, the
 * signature verifies under its key, and — with the site CA — the certificate was issued by that CA and valid at atMs.
 */
export function countersigProblem(r: CountersigRecord, ca: X509Certificate | null): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(r.cert);
  } catch {
    return 'its certificate cannot be read';
  }
  if (cert.checkHost(r.host) === undefined) return `its certificate does not name host "${r.host}" (${cert.subject.replace(/\n/g, ', ')})`;
  if (!verifyBody(countersigText(r), cert.publicKey, r.sig)) return 'bad signature (forged or altered)';
  if (ca) {
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'its certificate was not issued by the site CA';
    if (r.atMs < Date.parse(cert.validFrom) || r.atMs > Date.parse(cert.validTo)) return `its certificate was not valid at ${new Date(r.atMs).toISOString()}`;
  }
  return null;
}

/** The console's check of a result: the countersignature covers the head it sent, signed by the peer's key. */
export function checkResultCountersig(cs: Countersig, sent: AuditHead, host: string, consoleKey: string, agentKey: KeyObject): string | null {
  if (cs.seq !== sent.seq || cs.hash !== sent.hash) return `it countersigned head ${cs.seq} (${cs.hash.slice(0, 16)}…), not the head sent (${sent.seq}, ${sent.hash.slice(0, 16)}…)`;
  return verifyBody(countersigText({ host, consoleKey, ...cs }), agentKey, cs.sig) ? null : 'its countersignature does not verify under its certificate';
}

/** First line of each agent start in audit-heads.jsonl: the certificate its head lines are signed with. */
export const HeadsCertLineSchema = z.object({
  format: z.literal(AGENT_HEADS_FORMAT),
  kind: z.literal('cert'),
  host: HostSchema,
  cert: z.string().min(1).max(16_384),
  certFp: Sha256HexSchema,
  atMs: z.number().int().positive(),
});
/** One head the agent kept, signed (the same signature the console got back). */
export const HeadsHeadLineSchema = CountersigSchema.extend({ kind: z.literal('head'), host: HostSchema, consoleKey: KeyIdSchema, certFp: Sha256HexSchema });
const HeadsLineSchema = z.discriminatedUnion('kind', [HeadsCertLineSchema, HeadsHeadLineSchema]);
export type HeadsCertLine = z.infer<typeof HeadsCertLineSchema>;
export type HeadsHeadLine = z.infer<typeof HeadsHeadLineSchema>;

export interface AgentHeads {
  heads: CountersigRecord[];
  /** Lines that are not what an agent writes (unparseable, unknown certificate): each a finding. */
  problems: string[];
}

/**
 * Read one agent's audit-heads.jsonl (as collected by an auditor). A last line without its newline (a crash mid-append)
 * is skipped; any other line that fails the schema, or names a certificate no earlier line holds, is a problem.
 * Signatures are checked by the caller (countersigProblem), with or without the site CA.
 */
export function parseAgentHeads(file: string, text: string): AgentHeads {
  const lines = text.split('\n');
  lines.pop();
  const certs = new Map<string, string>();
  const out: AgentHeads = { heads: [], problems: [] };
  for (const [i, line] of lines.entries()) {
    const where = `${file}:${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      out.problems.push(`${where}: not JSON (the log was altered)`);
      continue;
    }
    const p = HeadsLineSchema.safeParse(raw);
    if (!p.success) {
      const is = p.error.issues[0];
      out.problems.push(`${where}: not an agent head line (${is ? `${is.path.join('.')}: ${is.message}` : 'invalid'})`);
      continue;
    }
    const l = p.data;
    if (l.kind === 'cert') {
      let fp: string | null = null;
      try {
        fp = certFingerprint(l.cert);
      } catch {
        /* reported below */
      }
      if (fp !== l.certFp) out.problems.push(`${where}: the certificate line does not hold the certificate it names`);
      else certs.set(fp, l.cert);
      continue;
    }
    const cert = certs.get(l.certFp);
    if (!cert) {
      out.problems.push(`${where}: signed with a certificate no earlier line holds`);
      continue;
    }
    out.heads.push({ host: l.host, consoleKey: l.consoleKey, seq: l.seq, hash: l.hash, atMs: l.atMs, sig: l.sig, cert, where });
  }
  return out;
}
