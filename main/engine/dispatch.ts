import { channelRoles, isRequestChannel, parseRequest, type Handlers, type RequestChannel, type RequestContext } from '../../shared/contract.js';
import { ROLE_RANK, type Actor, type Role } from '../../shared/domain/control.js';
import { RefusalError } from '../core/ports.js';

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: string };

export interface DispatchOptions {
  /** Called for every refused request that tried to act (role, payload or a RefusalError), so it can be audited. */
  onRefused?: (actor: Actor, channel: string, error: string) => void;
  /** Roles that differ from the contract's table for this runtime (a recording opens playback control to viewers). */
  roles?: Partial<Record<RequestChannel, Role>>;
  /** Aborts when the requesting client goes away (a WebSocket closed, an HTTP request dropped): long work stops. */
  signal?: AbortSignal;
}

/**
 * Dispatch one request through the contract: check the channel, the actor's role and the payload, then call the
 * handler. Every face (IPC, WebSocket, HTTP) goes through here, so the checks cannot differ between them.
 */
export async function dispatch(handlers: Handlers, channel: unknown, payload: unknown, actor: Actor, opts: DispatchOptions = {}): Promise<DispatchResult> {
  if (!isRequestChannel(channel)) return { ok: false, error: `unknown channel ${JSON.stringify(channel)}` };
  const acting = channelRoles[channel] !== 'viewer';
  const refuse = (error: string): DispatchResult => {
    if (acting) opts.onRefused?.(actor, channel, error);
    return { ok: false, error };
  };
  const needed = opts.roles?.[channel] ?? channelRoles[channel];
  if (ROLE_RANK[actor.role] < ROLE_RANK[needed]) return refuse(`${channel}: not allowed for role ${actor.role} (needs ${needed})`);
  const parsed = parseRequest(channel, payload);
  if (!parsed.ok) return refuse(parsed.error);
  try {
    const h = handlers[channel] as (p: unknown, a: Actor, ctx: RequestContext) => unknown;
    return { ok: true, result: await h(parsed.value, actor, { signal: opts.signal }) };
  } catch (e) {
    const msg = `${channel}: ${(e as Error).message}`;
    return e instanceof RefusalError ? refuse(msg) : { ok: false, error: msg };
  }
}
