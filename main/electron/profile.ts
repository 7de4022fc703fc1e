import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { RoleSchema, type Actor } from '../../shared/domain/control.js';

/**
 * The desktop app's local profile: who is at this console and with which role, from `profile.json` in the user
 * data folder. A missing file is created with the OS user as an operator; an admin edits the file to change roles.
 * A malformed file falls back to viewer (never to more rights than intended) and says so.
 */
const ProfileSchema = z.object({ user: z.string().min(1).max(100), role: RoleSchema }).strict();

export function localProfile(dir: string, log: (msg: string) => void = console.warn): Actor {
  const file = join(dir, 'profile.json');
  if (!existsSync(file)) {
    const created: Actor = { user: userInfo().username || 'operator', role: 'operator' };
    writeFileSync(file, JSON.stringify(created, null, 2) + '\n', { mode: 0o600 });
    return created;
  }
  try {
    const r = ProfileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (r.success) return r.data;
    log(`${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; using the viewer role`);
  } catch (e) {
    log(`${file}: ${(e as Error).message}; using the viewer role`);
  }
  return { user: userInfo().username || 'viewer', role: 'viewer' };
}
