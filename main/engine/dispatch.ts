import { isRequestChannel, parseRequest, type Handlers, type RequestChannel } from '../../shared/contract.js';

/** Dispatch one request through the contract: validate channel and payload, then call the handler. */
export async function dispatch(handlers: Handlers, channel: unknown, payload: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: string }> {
  if (!isRequestChannel(channel)) return { ok: false, error: `unknown channel ${JSON.stringify(channel)}` };
  const parsed = parseRequest(channel, payload);
  if (!parsed.ok) return parsed;
  try {
    const h = handlers[channel] as (p: unknown) => unknown;
    return { ok: true, result: await h(parsed.value) };
  } catch (e) {
    return { ok: false, error: `${channel as RequestChannel}: ${(e as Error).message}` };
  }
}

