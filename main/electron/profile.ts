import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { RoleSchema, type Actor } from '../../shared/domain/control.js';

/**
 * The desktop app's local profile: who is at this console and with which role, from `profile.json` in the user
 * data folder. A missing file is created with the OS user as an operator; an admin edits the file to change roles.
 * A malformed file falls back to viewer (never to more rights than intended) and says so.
 */
const FleetSchema = z
  .object({
    inventory: z.string().min(1),
    sources: z.string().min(1).optional(),
    certs: z.string().min(1).optional(),
    certName: z.string().min(1).optional(),
    leaseMs: z.number().int().min(1000).max(3_600_000).optional(),
  })
  .strict();
/**
 * `start` (written by the first screen): the last choice, offered again at the next start. A controller's token is
 * kept only encrypted by the operating system's keychain (Electron's safeStorage), never in clear.
 */
const StartSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('local') }).strict(),
  z
    .object({
      mode: z.literal('controller'),
      url: z.string().url().max(2000),
      caFile: z.string().min(1).max(4096).optional(),
      tokenSealed: z.string().min(1).max(8192).optional(),
    })
    .strict(),
]);
export type StartRecord = z.infer<typeof StartSchema>;
/** `fleet` (optional): watch a real fleet (inventory, sources, certificates) instead of the simulator. */
const ProfileSchema = z.object({ user: z.string().min(1).max(100), role: RoleSchema, fleet: FleetSchema.optional(), start: StartSchema.optional() }).strict();
export type ProfileFleet = z.infer<typeof FleetSchema>;

export function localProfile(dir: string, log: (msg: string) => void = console.warn): Actor {
  const file = join(dir, 'profile.json');
  if (!existsSync(file)) {
    const created: Actor = { user: userInfo().username || 'operator', role: 'operator' };
    writeFileSync(file, JSON.stringify(created, null, 2) + '\n', { mode: 0o600 });
    return created;
  }
  try {
    const r = ProfileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (r.success) return { user: r.data.user, role: r.data.role };
    log(`${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; using the viewer role`);
  } catch (e) {
    log(`${file}: ${(e as Error).message}; using the viewer role`);
  }
  return { user: userInfo().username || 'viewer', role: 'viewer' };
}

/**
 * The real fleet this desktop watches: `fleet` in profile.json (paths relative to the user data folder), or null for
 * the built-in simulator. A malformed profile means the simulator, never a half-read fleet.
 */
export function profileFleet(dir: string): ProfileFleet | null {
  const file = join(dir, 'profile.json');
  if (!existsSync(file)) return null;
  try {
    const r = ProfileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    const f = r.success ? r.data.fleet : undefined;
    if (!f) return null;
    const abs = (p: string | undefined) => (p === undefined ? undefined : resolve(dir, p));
    return { ...f, inventory: abs(f.inventory)!, sources: abs(f.sources), certs: abs(f.certs) };
  } catch {
    return null;
  }
}

/** The first screen's last choice, or null (none yet, or a malformed profile). */
export function lastStart(dir: string): StartRecord | null {
  const file = join(dir, 'profile.json');
  if (!existsSync(file)) return null;
  try {
    const r = ProfileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return r.success ? (r.data.start ?? null) : null;
  } catch {
    return null;
  }
}

/**
 * Remember the first screen's choice in profile.json (owner-only), keeping everything else in it. A profile that does
 * not parse is left alone (an admin's file is never overwritten by a guess) and the choice is not remembered.
 */
export function saveStart(dir: string, start: StartRecord, log: (msg: string) => void = console.warn): boolean {
  const file = join(dir, 'profile.json');
  if (!existsSync(file)) localProfile(dir, log);
  try {
    const r = ProfileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const checked = StartSchema.parse(start);
    writeFileSync(file, JSON.stringify({ ...r.data, start: checked }, null, 2) + '\n', { mode: 0o600 });
    return true;
  } catch (e) {
    log(`${file}: ${(e as Error).message}; the start choice is not remembered`);
    return false;
  }
}
