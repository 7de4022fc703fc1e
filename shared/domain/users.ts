import { z } from 'zod';
import { RoleSchema } from './control.js';

/**
 * People who may use a headless console (`serve --users users.yaml`): a name (what the audit trail records), a role,
 * and the SHA-256 of their token (the token itself is shown once, by `headroom users add`, and never stored).
 */
export const UserSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(2)
      .max(80)
      .regex(/^[\p{L}\p{N}][\p{L}\p{N} .'_-]*$/u, 'letters, digits, spaces and . \' _ - only'),
    role: RoleSchema,
    tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the token, 64 hex digits (headroom users add makes it)'),
  })
  .strict();
export type User = z.output<typeof UserSchema>;

export const UsersFileSchema = z
  .object({ users: z.array(UserSchema).min(1).max(1000) })
  .strict()
  .superRefine((f, ctx) => {
    const names = new Set<string>();
    const hashes = new Set<string>();
    f.users.forEach((u, i) => {
      if (names.has(u.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['users', i, 'name'], message: `"${u.name}" is listed twice` });
      if (hashes.has(u.tokenSha256)) ctx.addIssue({ code: 'custom', path: ['users', i, 'tokenSha256'], message: 'two people share one token' });
      names.add(u.name.toLowerCase());
      hashes.add(u.tokenSha256);
    });
  });
export type UsersFile = z.output<typeof UsersFileSchema>;
