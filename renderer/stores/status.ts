import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { Status } from '../../shared/domain/fleet.js';
import { api, pageToken, type ConnectionInfo } from '../api/index.js';

/** Engine status (sim clock, speed, sources, store) and the link's connection state. */
export const useStatusStore = defineStore('status', () => {
  const status = shallowRef<Status | null>(null);
  const connection = shallowRef<ConnectionInfo>({ state: 'connecting' });
  const transport = ref<'ipc' | 'websocket'>('websocket');
  const controlPending = ref(false);
  const controlError = ref<string | null>(null);

  function set(s: Status): void {
    status.value = markRaw(s);
  }

  async function control(payload: { action: 'pause' } | { action: 'resume' } | { action: 'speed'; speed: number }): Promise<void> {
    controlPending.value = true;
    controlError.value = null;
    try {
      set(await api().invoke('sim:control', payload));
    } catch (e) {
      controlError.value = e instanceof Error ? e.message : String(e);
    } finally {
      controlPending.value = false;
    }
  }

  /** Whether the page's address carries an access token (the token screen tells a refused one from a missing one). */
  const pageHasToken = (): boolean => !!pageToken();

  return {
    status,
    connection,
    transport,
    controlPending,
    controlError,
    set,
    pageHasToken,
    pause: () => control({ action: 'pause' }),
    resume: () => control({ action: 'resume' }),
    setSpeed: (speed: number) => control({ action: 'speed', speed }),
  };
});
