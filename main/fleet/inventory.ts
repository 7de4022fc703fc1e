import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { GpuUuidSchema, HostSchema } from '../../shared/agentProtocol.js';
import { GpuModelSchema, type Topology } from '../../shared/domain/topology.js';
import { BUILTIN_MODELS } from '../core/models.js';
import { ConfigError, parseConfig } from '../sim/config.js';

/**
 * The inventory: where each real GPU sits. Exporters and agents know hosts and GPU UUIDs, never racks or rows, so the
 * topology of a real fleet comes from this file (YAML or JSON):
 *
 * ```yaml
 * site: { id: lab, name: GPU lab }
 * rows:
 *   - id: A
 *     budgetKW: 40            # provisioned power of the row
 *     coolingKW: 45
 *     gpuModel: H100-SXM      # default for the row's servers
 *     racks:
 *       - id: A01
 *         servers:
 *           - host: gpu-a01-01
 *             slot: 3          # rack unit, shown to operators
 *             gpus: [GPU-…, GPU-…]   # position = nvidia-smi index
 * ```
 * Pure: text in (via parseConfig), topology and lookups out.
 */

const Id = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"');

const ServerSchema = z.object({
  host: HostSchema,
  slot: z.number().int().min(0).max(100).optional(),
  gpuModel: z.string().min(1).optional(),
  gpus: z.array(GpuUuidSchema).min(1).max(16),
  /** `high`: latency-critical work (POLCA caps it last). */
  priority: z.enum(['high', 'low']).default('low'),
  serverIdleW: z.number().min(0).optional(),
  serverActiveW: z.number().min(0).optional(),
});

const RackSchema = z.object({
  id: Id,
  /** Provisioned power of the rack (kW); default: the row's budget shared evenly. */
  budgetKW: z.number().positive().optional(),
  servers: z.array(ServerSchema).min(1).max(64),
});

const RowSchema = z.object({
  id: Id,
  budgetKW: z.number().positive(),
  coolingKW: z.number().positive(),
  supplyC: z.number().min(5).max(40).default(22),
  gpuModel: z.string().min(1),
  serverIdleW: z.number().min(0).default(1500),
  serverActiveW: z.number().min(0).default(2000),
  racks: z.array(RackSchema).min(1).max(1000),
});

export const InventorySchema = z
  .object({
    site: z.object({ id: Id, name: z.string().min(1) }),
    gpuModels: z.array(GpuModelSchema).default([]),
    rows: z.array(RowSchema).min(1),
  })
  .superRefine((inv, ctx) => {
    const ids = new Set<string>();
    const hosts = new Set<string>();
    const uuids = new Set<string>();
    const models = new Set([...BUILTIN_MODELS.map((m) => m.id), ...inv.gpuModels.map((m) => m.id)]);
    const known = () => [...models].join(', ');
    inv.rows.forEach((row, r) => {
      if (ids.has(row.id)) ctx.addIssue({ code: 'custom', path: ['rows', r, 'id'], message: `duplicate id "${row.id}"` });
      ids.add(row.id);
      if (!models.has(row.gpuModel)) ctx.addIssue({ code: 'custom', path: ['rows', r, 'gpuModel'], message: `unknown GPU model "${row.gpuModel}" (known: ${known()})` });
      row.racks.forEach((rack, k) => {
        if (ids.has(rack.id)) ctx.addIssue({ code: 'custom', path: ['rows', r, 'racks', k, 'id'], message: `duplicate id "${rack.id}"` });
        ids.add(rack.id);
        rack.servers.forEach((s, i) => {
          const at = ['rows', r, 'racks', k, 'servers', i];
          if (hosts.has(s.host)) ctx.addIssue({ code: 'custom', path: [...at, 'host'], message: `host "${s.host}" is listed twice` });
          hosts.add(s.host);
          if (s.gpuModel && !models.has(s.gpuModel)) ctx.addIssue({ code: 'custom', path: [...at, 'gpuModel'], message: `unknown GPU model "${s.gpuModel}" (known: ${known()})` });
          s.gpus.forEach((u, g) => {
            const key = u.toLowerCase();
            if (uuids.has(key)) ctx.addIssue({ code: 'custom', path: [...at, 'gpus', g], message: `GPU ${u} is listed twice` });
            uuids.add(key);
          });
        });
      });
    });
  });
export type InventoryFile = z.input<typeof InventorySchema>;
export type InventorySpec = z.output<typeof InventorySchema>;

export interface InventoryHost {
  host: string;
  server: number;
  rack: string;
  row: string;
  slot: number | null;
  priority: 'high' | 'low';
  /** Fleet GPU index of each of the host's GPUs, by nvidia-smi index. */
  gpus: number[];
  uuids: string[];
}

export interface Inventory {
  topology: Topology;
  hosts: ReadonlyMap<string, InventoryHost>;
  /** Fleet GPU index for a host's GPU UUID, or undefined when the inventory does not list it there. */
  gpuIndex(host: string, uuid: string): number | undefined;
  /** UUID of a fleet GPU index. */
  uuidOf(gpu: number): string;
  /** Host of a fleet GPU index. */
  hostOf(gpu: number): string;
}

/** Resolve an inventory into the flat topology the engine runs on, and the host/UUID lookups sources map through. */
export function resolveInventory(spec: InventorySpec): Inventory {
  const byId = new Map(BUILTIN_MODELS.map((m) => [m.id, m]));
  for (const m of spec.gpuModels) byId.set(m.id, m);
  const models: Topology['models'] = [];
  const modelIndex = new Map<string, number>();
  const modelOf = (id: string): number => {
    let mi = modelIndex.get(id);
    if (mi === undefined) {
      mi = models.push(byId.get(id)!) - 1;
      modelIndex.set(id, mi);
    }
    return mi;
  };
  const topology: Topology = { site: { ...spec.site }, models, rows: [], racks: [], servers: [], gpuCount: 0 };
  const hosts = new Map<string, InventoryHost>();
  const byUuid = new Map<string, number>();
  const uuidOf: string[] = [];
  const hostOf: string[] = [];
  spec.rows.forEach((row, r) => {
    const rackStart = topology.racks.length;
    for (const rack of row.racks) {
      const rackIdx = topology.racks.length;
      const serverStart = topology.servers.length;
      for (const s of rack.servers) {
        const server = topology.servers.length;
        const gpus = s.gpus.map((_, i) => topology.gpuCount + i);
        topology.servers.push({
          id: s.host,
          rack: rackIdx,
          gpuStart: topology.gpuCount,
          gpuCount: s.gpus.length,
          model: modelOf(s.gpuModel ?? row.gpuModel),
          idleW: s.serverIdleW ?? row.serverIdleW,
          activeW: s.serverActiveW ?? row.serverActiveW,
        });
        s.gpus.forEach((u, i) => {
          byUuid.set(`${s.host}\u0000${u.toLowerCase()}`, gpus[i]!);
          uuidOf.push(u);
          hostOf.push(s.host);
        });
        topology.gpuCount += s.gpus.length;
        hosts.set(s.host, { host: s.host, server, rack: rack.id, row: row.id, slot: s.slot ?? null, priority: s.priority, gpus, uuids: [...s.gpus] });
      }
      topology.racks.push({ id: rack.id, row: r, budgetKW: rack.budgetKW ?? row.budgetKW / row.racks.length, serverStart, serverCount: rack.servers.length });
    }
    topology.rows.push({ id: row.id, budgetKW: row.budgetKW, coolingKW: row.coolingKW, supplyC: row.supplyC, rackStart, rackCount: row.racks.length });
  });
  return {
    topology,
    hosts,
    gpuIndex: (host, uuid) => byUuid.get(`${host}\u0000${uuid.toLowerCase()}`),
    uuidOf: (g) => uuidOf[g]!,
    hostOf: (g) => hostOf[g]!,
  };
}

/** Read, validate and resolve an inventory file; errors name the file, line and field (ConfigError). */
export function loadInventoryFile(file: string): Inventory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, null, '', `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return resolveInventory(parseConfig(InventorySchema, text, file));
}
