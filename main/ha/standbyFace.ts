import { channelRoles, type Handlers, type RequestChannel } from '../../shared/contract.js';
import type { ControllerStatus } from '../../shared/domain/controller.js';
import { RefusalError } from '../core/ports.js';

/**
 * The contract as a standby controller answers it: who leads (`controller:status`), who is asking
 * (`session:whoami`), and for everything else a refusal naming the leader and where to reach it — a standby holds
 * no engine and acts on nothing; the console it serves says so and links to the leader.
 */
export function standbyHandlers(status: () => ControllerStatus): Handlers {
  const out = {} as Record<RequestChannel, unknown>;
  for (const c of Object.keys(channelRoles) as RequestChannel[]) {
    out[c] = () => {
      const s = status();
      throw new RefusalError(
        s.leader ? `standby: controller ${s.self} does not lead; ${s.leader} does (${s.leaderUrl ?? 'address unknown'})` : `standby: controller ${s.self} does not lead, and no controller leads yet`,
      );
    };
  }
  out['controller:status'] = () => status();
  out['session:whoami'] = (_p: unknown, actor: unknown) => actor;
  return out as Handlers;
}
