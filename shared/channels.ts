/**
 * Channel names of the contract as plain data (no zod), so the sandboxed preload can allowlist them without
 * bundling the schemas. `contract.ts` checks at compile time that these match its declarations.
 */
export const REQUEST_CHANNELS = [
  'fleet:topology',
  'fleet:snapshot',
  'status:get',
  'alerts:list',
  'telemetry:range',
  'telemetry:events',
  'telemetry:gpu',
  'sim:control',
  'sim:inject',
  'drill:library',
  'drill:start',
  'drill:end',
  'drill:status',
  'drill:reports',
  'drill:report',
  'session:whoami',
  'control:summary',
  'control:gpus',
  'override:preview',
  'override:set',
  'override:clear',
  'automation:set',
  'brake:row',
  'policy:get',
  'policy:set',
  'alerts:ack',
  'alerts:ackGroup',
  'alerts:silence',
  'alerts:unsilence',
  'alerts:silences',
  'audit:list',
  'audit:verify',
  'planner:sweep',
  'planner:cancel',
  'placement:query',
  'sources:list',
  'sources:test',
  'sources:add',
  'sources:remove',
  'incident:save',
  'incident:report',
  'replay:info',
  'replay:start',
  'replay:status',
  'recording:notes',
  'recording:annotate',
  'plant:contingency',
  'plant:lift',
] as const;
export const EVENT_CHANNELS = ['fleet:snapshot', 'alerts:changed', 'status:changed', 'control:changed', 'audit:appended'] as const;

/** The two IPC channels Electron uses underneath: one for requests, one for pushed events. */
export const IPC_INVOKE = 'headroom:invoke';
export const IPC_EVENT = 'headroom:event';
