import { defineStore } from 'pinia';
import type { DrillEvent } from '../../shared/domain/scenario.js';
import { attempt } from '../api/index.js';

/** Emergency drills on the running simulator (`sim:inject`); the engine audits each one. */
export const useDrillStore = defineStore('drill', () => {
  /** Starts a drill now; the answer names the event started, a refusal says why not. */
  const start = (event: DrillEvent, reason: string) => attempt('sim:inject', { event, reason });
  return { start };
});
