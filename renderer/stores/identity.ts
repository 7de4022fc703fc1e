import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import type { Actor, Role } from '../../shared/domain/control.js';
import { useStatusStore } from './status.js';

/** As `ROLE_RANK` in shared/domain/control.ts (not imported: that module carries zod, which the renderer does not bundle). */
export const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Shown on every control a viewer cannot use (the engine refuses the request anyway). */
export const READ_ONLY_TIP = 'viewer role: read-only';
export const ADMIN_ONLY_TIP = 'policy changes need the admin role';

/**
 * Who this console acts as (`session:whoami`), and what that allows. A recording being played back allows nothing
 * that acts, whatever the role (the engine refuses it anyway): its controls show disabled, saying why.
 */
export const useIdentityStore = defineStore('identity', () => {
  const status = useStatusStore();
  const actor = shallowRef<Actor | null>(null);
  const recordingFile = computed(() => status.status?.recording?.file ?? null);
  const canOperate = computed(() => !!actor.value && RANK[actor.value.role] >= RANK.operator && recordingFile.value === null);
  const isAdmin = computed(() => actor.value?.role === 'admin' && recordingFile.value === null);
  /** Tooltip for acting controls: empty when allowed. */
  const actTip = computed(() =>
    canOperate.value ? '' : recordingFile.value !== null ? `${recordingFile.value} is a recording: read-only` : actor.value ? READ_ONLY_TIP : 'identifying…',
  );

  function set(a: Actor): void {
    actor.value = a;
  }
  return { actor, recordingFile, canOperate, isAdmin, actTip, set };
});
