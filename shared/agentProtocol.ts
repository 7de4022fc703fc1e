import { z } from 'zod';

/**
 * The console ↔ host-agent protocol: newline-delimited JSON over mutually authenticated TLS.
 *
 * - The agent is the TLS server (`headroom agent --listen`); consoles connect with a client certificate issued by the
 *   site CA (`headroom certs`). The certificate's OU carries its scope: `headroom-read` may only receive readings,
 *   `headroom-control` may also send commands.
 * - Agent → console: `hello` once per connection (host, boot id, GPUs with their limits, lease state), then `readings`
 *   every interval, and a `result` for every command.
 * - Console → agent: `command` = a JSON body signed with the console's private key (the key of the client certificate
 *   presented on this connection). The body names the agent host, a nonce, when it was issued and when it expires; the
 *   expiry is the lease. The agent rejects a body for another host, a bad signature, a reused nonce, an expired body,
 *   one issued in the future beyond the allowed clock skew, or a lease longer than the agent allows.
 * - Audit head: every body carries the console's committed audit chain head (`auditHead`: seq and hash of its last
 *   record). The agent keeps the latest head each console key showed it (on disk, out of the console host's reach) and
 *   refuses a head older than that (`audit-head`: the chain was cut or rewritten) or another hash at the same seq (a
 *   fork); it answers with its signature over the head it kept (`countersig`), which the console stores and
 *   `headroom audit verify` checks. See docs/SECURITY.md.
 * - Fencing: a body may carry its controller's leadership `epoch`; the agent keeps the highest it has seen (on disk)
 *   and refuses lower ones, so a deposed leader that wakes up cannot act after its successor has.
 * - Lease: setpoints hold until the newest accepted expiry; a command without actions only renews a live lease (after
 *   a lapse it is refused with `no-lease`: the console must send its setpoints again). When the lease lapses the agent
 *   moves its GPUs to the configured safe cap (never uncapped); it applies the safe cap at start-up and on stop too.
 *
 * Every message is validated with these schemas on receipt; a line longer than MAX_LINE_BYTES closes the connection.
 */

export const AGENT_PROTOCOL_VERSION = 1;
/** Longest accepted protocol line (bytes). */
export const MAX_LINE_BYTES = 1 << 20;
/** Most GPUs one host may report. */
export const MAX_GPUS_PER_HOST = 64;
/** Longest lease an agent accepts by default (ms). */
export const DEFAULT_MAX_LEASE_MS = 60_000;
/** Clock skew tolerated between console and agent by default (ms). */
export const DEFAULT_MAX_SKEW_MS = 5_000;

export type Scope = 'read' | 'control';
/** Certificate OU per scope. */
export const SCOPE_OU: Readonly<Record<Scope, string>> = Object.freeze({ read: 'headroom-read', control: 'headroom-control' });

/** A host name as it appears in certificates, inventories and exporter labels. */
export const HostSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'letters, digits, "." or "-"');
/** NVIDIA GPU UUID, e.g. GPU-1c3e1b3a-5c2f-4e58-9f0e-6a1c7d2e9b10. */
export const GpuUuidSchema = z.string().regex(/^GPU-[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$/, 'an NVIDIA GPU UUID (GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)');

const Watts = z.number().finite().positive().max(10_000);
const MHz = z.number().finite().positive().max(10_000);
/** Readings: null where the GPU does not report the value (JSON has no NaN; a missing value is null). */
const Reading = z.number().finite().nullable();

export const GpuInfoSchema = z.object({
  index: z.number().int().min(0).max(MAX_GPUS_PER_HOST - 1),
  uuid: GpuUuidSchema,
  name: z.string().min(1).max(128),
  minLimitW: Watts,
  maxLimitW: Watts,
  defaultLimitW: Watts,
  minClockMHz: MHz,
  maxClockMHz: MHz,
  /** The agent's safe cap for this GPU (W): what it holds when no lease does. Absent from agents before 0.2. */
  safeCapW: Watts.optional(),
});
export type GpuInfo = z.infer<typeof GpuInfoSchema>;

export const AgentReadingSchema = z.object({
  uuid: GpuUuidSchema,
  powerW: Reading,
  /** Power limit in effect (enforced), W. */
  limitW: Reading,
  tempC: Reading,
  memTempC: Reading,
  smClockMHz: Reading,
  utilPct: Reading,
  /** Clock-event reasons (NVML bitmask, low 16 bits). */
  clockEventMask: z.number().int().min(0).max(0xffff).nullable(),
});
export type AgentReading = z.infer<typeof AgentReadingSchema>;

export const LeaseStateSchema = z.object({
  /** `safe`: no live lease, GPUs at the safe cap; `leased`: a console's setpoints hold; `read-only`: agent cannot act. */
  mode: z.enum(['safe', 'leased', 'read-only']),
  leaseExpiresMs: z.number().nullable(),
  safeCapW: Watts,
});
export type LeaseState = z.infer<typeof LeaseStateSchema>;

export const HelloSchema = z.object({
  type: z.literal('hello'),
  v: z.literal(AGENT_PROTOCOL_VERSION),
  host: HostSchema,
  /** Changes every time the agent process starts: a new boot id means setpoints were lost and must be re-applied. */
  bootId: z.string().min(8).max(64),
  agentVersion: z.string().max(64),
  backend: z.enum(['nvidia-smi', 'sim']),
  /** What this connection's certificate may do. */
  scopes: z.array(z.enum(['read', 'control'])).max(2),
  intervalMs: z.number().int().positive().max(3_600_000),
  maxLeaseMs: z.number().int().positive(),
  gpus: z.array(GpuInfoSchema).max(MAX_GPUS_PER_HOST),
  state: LeaseStateSchema,
});
export type Hello = z.infer<typeof HelloSchema>;

export const ReadingsSchema = z.object({
  type: z.literal('readings'),
  host: HostSchema,
  seq: z.number().int().min(0),
  /** When the agent took the readings (epoch ms, agent clock). */
  tMs: z.number().int().positive(),
  gpus: z.array(AgentReadingSchema).max(MAX_GPUS_PER_HOST),
  state: LeaseStateSchema,
});
export type Readings = z.infer<typeof ReadingsSchema>;

/**
 * Why a command was refused. `no-lease`: a bare renewal after the lease lapsed (the console must send its setpoints).
 * `audit-head`: the console's audit chain head went back, or forked, from the one this agent kept for its key.
 * `agent-state`: the agent could not write its state folder (the kept head), so it does not act.
 * `stale-epoch`: the command comes from a controller epoch older than the highest this agent has seen — a deposed
 * leader (paused, partitioned) speaking after a newer one took over (fencing; docs/RELIABILITY.md "Controllers").
 */
export const RejectCode = z.enum([
  'schema',
  'host',
  'signature',
  'replay',
  'expired',
  'future',
  'lease-too-long',
  'scope',
  'unknown-gpu',
  'range',
  'backend',
  'read-only',
  'no-lease',
  'audit-head',
  'agent-state',
  'stale-epoch',
]);
export type RejectCode = z.infer<typeof RejectCode>;

/** SHA-256, 64 lowercase hex digits: an audit record's hash (the genesis "hash" is 64 zeros). */
export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits (SHA-256)');

/** A committed audit chain head: the last record's seq and hash (seq 0 and 64 zeros for an empty trail). */
export const AuditHeadSchema = z.object({ seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), hash: Sha256HexSchema });
export type AuditHead = z.infer<typeof AuditHeadSchema>;

/**
 * The agent's countersignature of the head it kept: `sig` (its TLS key, base64) over the canonical text of (agent
 * host, console key id, seq, hash, atMs) — see main/pki/countersig.ts. `atMs`: when the agent first kept this head.
 */
export const CountersigSchema = AuditHeadSchema.extend({ atMs: z.number().int().positive(), sig: z.string().min(1).max(1024) });
export type Countersig = z.infer<typeof CountersigSchema>;

export const ResultSchema = z.object({
  type: z.literal('result'),
  /** The command's nonce, or null when the command was too malformed to have one. */
  nonce: z.string().max(64).nullable(),
  ok: z.boolean(),
  code: RejectCode.optional(),
  error: z.string().max(1000).optional(),
  state: LeaseStateSchema,
  /** The agent's countersignature of the command's audit head (whenever the command passed its gate and it kept the head). */
  countersig: CountersigSchema.optional(),
});
export type Result = z.infer<typeof ResultSchema>;

export const AgentMessageSchema = z.discriminatedUnion('type', [HelloSchema, ReadingsSchema, ResultSchema]);
export type AgentMessage = z.infer<typeof AgentMessageSchema>;

export const CommandActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('setPowerLimit'), uuid: GpuUuidSchema, watts: Watts }),
  z.object({ kind: z.literal('lockClocks'), uuid: GpuUuidSchema, minMHz: MHz, maxMHz: MHz }),
  z.object({ kind: z.literal('resetClocks'), uuid: GpuUuidSchema }),
  /** Emergency brake: lowest power limit and clocks locked at the minimum; off restores the last limit and clocks. */
  z.object({ kind: z.literal('brake'), uuid: GpuUuidSchema, on: z.boolean() }),
]);
export type CommandAction = z.infer<typeof CommandActionSchema>;

export const NonceSchema = z.string().regex(/^[0-9a-f]{32}$/, '32 lowercase hex digits');

/** The signed part of a command. An empty `actions` list only renews the lease. */
export const CommandBodySchema = z.object({
  v: z.literal(AGENT_PROTOCOL_VERSION),
  host: HostSchema,
  nonce: NonceSchema,
  issuedMs: z.number().int().positive(),
  /** The lease: setpoints hold until this time (epoch ms). */
  expiresMs: z.number().int().positive(),
  actions: z.array(CommandActionSchema).max(4 * MAX_GPUS_PER_HOST),
  /** The console's committed audit chain head when it sent this (required: no head, no action; a renewal too). */
  auditHead: AuditHeadSchema,
  /**
   * The controller's leadership epoch (`serve --controller`: the etcd revision at which its leader key was created,
   * so every new leader's is higher). The agent acts only on the highest epoch it has seen and refuses older ones
   * (`stale-epoch`). Absent: 0, a console that is not part of a redundant set.
   */
  epoch: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type CommandBody = z.infer<typeof CommandBodySchema>;

export const CommandSchema = z.object({
  type: z.literal('command'),
  /** CommandBody as JSON text: the exact bytes that were signed. */
  body: z.string().max(64 * 1024),
  /** Signature over `body` (sha256 with the client certificate's key), base64. */
  sig: z.string().max(1024),
});
export type Command = z.infer<typeof CommandSchema>;
