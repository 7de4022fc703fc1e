import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DesktopChoice } from '../../shared/desktop.js';
import { desktopInvoke } from '../api/desktop.js';

/** The desktop's first screen: start a choice in the main process, then reload into the console. */
export const useDesktopStore = defineStore('desktop', () => {
  const busy = ref<DesktopChoice['mode'] | null>(null);
  const error = ref<string | null>(null);

  async function start(choice: DesktopChoice): Promise<void> {
    busy.value = choice.mode;
    error.value = null;
    try {
      await desktopInvoke('desktop:start', choice);
      window.location.reload();
    } catch (e) {
      // Electron prefixes a refusal from the main process with "Error invoking remote method …".
      error.value = (e instanceof Error ? e.message : String(e)).replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
      busy.value = null;
    }
  }

  return { busy, error, start };
});
