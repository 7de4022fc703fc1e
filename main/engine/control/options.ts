import type { ControlSummary, PolicyConfig } from '../../../shared/domain/control.js';
import type { Actuator, AuditSink, ControlState } from '../../core/ports.js';
import type { Engine } from '../engine.js';

/**
 * 'polca': POLCA's row controller (the paper's baseline); 'headroom': Headroom's own (main/core/control/headroom.ts);
 * 'brake-only': no caps and no playbooks; only the power brake above brakePct (the simulator's `none`).
 */
export type ControlMode = 'polca' | 'headroom' | 'brake-only';

export interface ControlServiceOptions {
  engine: Engine;
  actuator: Actuator;
  audit: AuditSink | null;
  /** Per GPU: 1 = high priority. */
  priorities: Uint8Array;
  /** Where overrides, row flags and the policy persist (control.db in the app), or null: nothing persists. */
  store: ControlState | null;
  /** Called when overrides, automation, stages, playbooks or brakes change (not every tick). */
  onChange: (summary: ControlSummary) => void;
  /** The policy to use when control.db holds none (default: PolicyConfigSchema's defaults, the paper's values). */
  policy?: PolicyConfig;
  mode?: ControlMode;
}
