import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { RoleSchema } from '../../shared/domain/control.js';
import { UserSchema, UsersFileSchema, type User } from '../../shared/domain/users.js';
import { readConfig } from '../sim/config.js';
import { generateToken } from '../server/server.js';
import { UsageError } from './usage.js';

const USAGE = 'usage: headroom users add NAME --role viewer|operator|admin --file users.yaml | headroom users list --file users.yaml';

/** Read `--users FILE`: one line naming the file, the line and the field when it is not valid (exit 2). */
export function loadUsers(file: string): User[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--users: cannot read ${file}: ${(e as Error).message}`);
  }
  return readConfig(UsersFileSchema, text, file).value.users;
}

/**
 * `headroom users add NAME --role R --file users.yaml`: a new person with a fresh token — printed once, stored only as
 * its SHA-256 — added to the file (created if absent, written whole then renamed: never half-written).
 * `headroom users list --file users.yaml`: who may sign in, with their roles.
 */
export function usersCommand(args: string[]): number {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, strict: true, allowPositionals: true, options: { role: { type: 'string' }, file: { type: 'string' } } });
  if (!values.file) throw new UsageError(USAGE);
  const existing = existsSync(values.file) ? loadUsers(values.file) : [];
  if (sub === 'list') {
    if (positionals.length) throw new UsageError(USAGE);
    for (const u of existing) console.log(`${u.name.padEnd(30)} ${u.role}`);
    return 0;
  }
  if (sub !== 'add' || positionals.length !== 1) throw new UsageError(USAGE);
  const role = RoleSchema.safeParse(values.role);
  if (!role.success) throw new UsageError(`--role: one of viewer, operator, admin (got ${values.role === undefined ? 'nothing' : JSON.stringify(values.role)})`);
  const token = generateToken();
  const user = UserSchema.safeParse({ name: positionals[0], role: role.data, tokenSha256: createHash('sha256').update(token).digest('hex') });
  if (!user.success) throw new UsageError(`name: ${user.error.issues[0]!.message}`);
  const next = UsersFileSchema.safeParse({ users: [...existing, user.data] });
  if (!next.success) throw new UsageError(`${values.file}: ${next.error.issues[0]!.message}`);
  const tmp = `${values.file}.tmp`;
  writeFileSync(tmp, `# Headroom users (serve --users). Tokens are stored as SHA-256 only; headroom users add makes one.\n${stringify(next.data)}`, { mode: 0o600 });
  renameSync(tmp, values.file);
  console.log(token);
  console.error(`added ${user.data.name} (${user.data.role}) to ${values.file}; the token above is shown once — hand it over, then clear your terminal`);
  return 0;
}
