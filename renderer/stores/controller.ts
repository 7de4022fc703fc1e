import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { ControllerStatus } from '../../shared/domain/controller.js';
import { pageToken } from '../api/index.js';
import { desktopInvoke, inDesktop } from '../api/desktop.js';
import { consoleUrl, recentFailover } from '../model/controller.js';

/**
 * Who holds control of a redundant controller set (issue 17): `controller:status` at start and on every
 * reconnection, `controller:changed` pushed. Null outside a controller set (a desk's own simulator). `lastKnown`
 * outlives a lost link, so the banner can offer the set's other controllers.
 */
export const useControllerStore = defineStore('controller', () => {
  const status = shallowRef<ControllerStatus | null>(null);
  const lastKnown = shallowRef<ControllerStatus | null>(null);
  /** Whether `controller:status` has answered once (the console waits for it before loading anything else). */
  const loaded = ref(false);
  const switchError = ref<string | null>(null);
  /**
   * The face this page loaded was a standby's: it stays the standby screen until the server reloads the page (close
   * 1012), even once the status says this controller leads (its console is not served before then).
   */
  const standbyFace = ref(false);
  /** Wall clock for the failover highlight, ticking while a failover is recent. */
  const nowMs = ref(Date.now());
  let ticker: ReturnType<typeof setInterval> | null = null;

  function set(s: ControllerStatus | null): void {
    status.value = s ? markRaw(s) : null;
    if (s) lastKnown.value = status.value;
    loaded.value = true;
    nowMs.value = Date.now();
    if (recentFailover(s, nowMs.value) && !ticker) {
      ticker = setInterval(() => {
        nowMs.value = Date.now();
        if (!recentFailover(status.value, nowMs.value) && ticker) {
          clearInterval(ticker);
          ticker = null;
        }
      }, 5_000);
    }
  }

  /** This console reached a standby (or a controller still joining): it acts on nothing, and says who leads. */
  const standby = computed(() => standbyFace.value || (!!status.value && status.value.role !== 'leader'));
  const recent = computed(() => recentFailover(status.value, nowMs.value));

  /** Where the link to controller `url` goes: its console with this page's token (a browser), or '#' (the desktop). */
  function linkTo(url: string | null): string | null {
    if (inDesktop()) return url ? '#' : null;
    return consoleUrl(url, pageToken());
  }

  /**
   * Open another controller's console. A browser follows the link itself (navigation: the CSP lets the page fetch
   * only from its own origin); the desktop asks its main process to connect there with the same token and reloads.
   */
  async function open(url: string, e?: Event): Promise<void> {
    if (!inDesktop()) return;
    e?.preventDefault();
    switchError.value = null;
    try {
      await desktopInvoke('desktop:start', { mode: 'controller', url });
      window.location.reload();
    } catch (err) {
      switchError.value = (err instanceof Error ? err.message : String(err)).replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
    }
  }

  return { status, lastKnown, loaded, standby, standbyFace, recent, nowMs, switchError, set, linkTo, open };
});
