import { beforeAll, describe, expect, it, vi } from 'vitest';

const fake = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  invoked: [] as unknown[][],
  listeners: [] as Array<(...a: unknown[]) => void>,
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => fake.exposed.set(key, api) },
  ipcRenderer: {
    invoke: (...a: unknown[]) => {
      fake.invoked.push(a);
      return Promise.resolve('ok');
    },
    on: (_ch: string, fn: (...a: unknown[]) => void) => fake.listeners.push(fn),
    removeListener: (_ch: string, fn: (...a: unknown[]) => void) => fake.listeners.splice(fake.listeners.indexOf(fn), 1),
  },
}));

interface Api {
  invoke(channel: unknown, payload?: unknown): Promise<unknown>;
  on(channel: unknown, fn: unknown): () => void;
}
let api: Api;
beforeAll(async () => {
  await import('../../../main/electron/preload.js');
  api = fake.exposed.get('headroom') as Api;
});

describe('preload', () => {
  it('exposes exactly invoke and on, never ipcRenderer', () => {
    expect([...fake.exposed.keys()]).toEqual(['headroom']);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
  });

  it('forwards contract channels and refuses anything else', async () => {
    await expect(api.invoke('status:get', {})).resolves.toBe('ok');
    expect(fake.invoked).toEqual([['headroom:invoke', 'status:get', {}]]);
    await expect(api.invoke('headroom:invoke', {})).rejects.toThrow(/not allowed/);
    await expect(api.invoke({ toString: () => 'status:get' }, {})).rejects.toThrow(/not allowed/);
    expect(fake.invoked).toHaveLength(1);
  });

  it('delivers only the subscribed event and unsubscribes', () => {
    const got: unknown[] = [];
    const off = api.on('alerts:changed', (p: unknown) => got.push(p));
    expect(() => api.on('secrets:leak', () => {})).toThrow(/not allowed/);
    fake.listeners.forEach((l) => l({}, 'fleet:snapshot', 1));
    fake.listeners.forEach((l) => l({}, 'alerts:changed', 2));
    off();
    fake.listeners.forEach((l) => l({}, 'alerts:changed', 3));
    expect(got).toEqual([2]);
  });
});
