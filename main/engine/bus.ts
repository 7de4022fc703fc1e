import type { EventChannel, EventTypes } from '../../shared/contract.js';

/** Typed fan-out of engine events to faces (IPC windows, WebSocket clients). */
export class EventBus {
  private readonly listeners = new Map<EventChannel, Set<(p: never) => void>>();

  on<E extends EventChannel>(channel: E, fn: (payload: EventTypes[E]) => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  emit<E extends EventChannel>(channel: E, payload: EventTypes[E]): void {
    for (const fn of this.listeners.get(channel) ?? []) {
      try {
        (fn as (p: EventTypes[E]) => void)(payload);
      } catch (e) {
        console.error(`listener for ${channel} failed:`, e);
      }
    }
  }
}
