import { z } from 'zod';
import type { Topology } from './domain/topology.js';
import type { Alert, RangeSeries, Snapshot, Status } from './domain/fleet.js';
import { EVENT_CHANNELS, REQUEST_CHANNELS } from './channels.js';

/**
 * The one contract between Headroom's engine and its faces (Electron IPC and the headless server).
 * Every request is declared once here with the schema that validates its payload and the type of its result.
 */
export const requestSchemas = {
  'fleet:topology': z.object({}).strict(),
  'fleet:snapshot': z.object({}).strict(),
  'status:get': z.object({}).strict(),
  'alerts:list': z.object({ includeResolved: z.boolean().default(false) }).strict(),
  'telemetry:range': z
    .object({
      scope: z.enum(['site', 'row', 'rack']),
      fromMs: z.number().finite(),
      toMs: z.number().finite(),
      resS: z.union([z.literal(10), z.literal(60)]),
    })
    .strict()
    .refine((r) => r.toMs > r.fromMs, { message: 'toMs must be after fromMs', path: ['toMs'] })
    .refine((r) => r.toMs - r.fromMs <= 7 * 24 * 3600_000, { message: 'range longer than 7 days', path: ['toMs'] }),
  'sim:control': z.discriminatedUnion('action', [
    z.object({ action: z.literal('pause') }).strict(),
    z.object({ action: z.literal('resume') }).strict(),
    z.object({ action: z.literal('speed'), speed: z.number().min(0.1).max(10000) }).strict(),
  ]),
} as const;

export type RequestChannel = keyof typeof requestSchemas;

export interface ResponseTypes {
  'fleet:topology': Topology;
  'fleet:snapshot': Snapshot | null;
  'status:get': Status;
  'alerts:list': Alert[];
  'telemetry:range': RangeSeries;
  'sim:control': Status;
}

export type RequestPayload<C extends RequestChannel> = z.input<(typeof requestSchemas)[C]>;
export type ParsedRequest<C extends RequestChannel> = z.output<(typeof requestSchemas)[C]>;
export type ResponseOf<C extends RequestChannel> = ResponseTypes[C];

/** Pushed from the engine to every face. */
export interface EventTypes {
  'fleet:snapshot': Snapshot;
  'alerts:changed': Alert[];
  'status:changed': Status;
}
export type EventChannel = keyof EventTypes;
export const eventChannels: readonly EventChannel[] = EVENT_CHANNELS;

// Compile-time checks: the plain channel lists in channels.ts match the declarations above, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestListMatches: Same<(typeof REQUEST_CHANNELS)[number], RequestChannel> = true;
const eventListMatches: Same<(typeof EVENT_CHANNELS)[number], EventChannel> = true;
void requestListMatches;
void eventListMatches;

export function isRequestChannel(c: unknown): c is RequestChannel {
  return typeof c === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, c);
}
export function isEventChannel(c: unknown): c is EventChannel {
  return typeof c === 'string' && (eventChannels as readonly string[]).includes(c);
}

/** Engine-side implementation of the contract: payloads arrive already validated. */
export type Handlers = { [C in RequestChannel]: (payload: ParsedRequest<C>) => ResponseOf<C> | Promise<ResponseOf<C>> };

/** What a face (renderer) sees: invoke a request, subscribe to an event. */
export interface HeadroomApi {
  invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<ResponseOf<C>>;
  on<E extends EventChannel>(channel: E, listener: (payload: EventTypes[E]) => void): () => void;
}

/** Wire frames of the headless server's WebSocket. */
export const WireRequestSchema = z.object({ id: z.number().int().nonnegative(), channel: z.string().max(64), payload: z.unknown() }).strict();
export type WireRequest = z.infer<typeof WireRequestSchema>;
export type WireMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string }
  | { kind: 'event'; channel: EventChannel; payload: unknown };

/** Parse a request payload; returns a readable error instead of throwing. */
export function parseRequest<C extends RequestChannel>(channel: C, payload: unknown):
  | { ok: true; value: ParsedRequest<C> }
  | { ok: false; error: string } {
  const r = requestSchemas[channel].safeParse(payload ?? {});
  if (r.success) return { ok: true, value: r.data as ParsedRequest<C> };
  return { ok: false, error: `${channel}: ` + r.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ') };
}
