import { describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localProfile } from '../../../main/electron/profile.js';
import { tempDir } from '../../helpers.js';

describe('desktop local profile', () => {
  it('creates profile.json (owner-only) with the OS user as operator on first start', () => {
    const tmp = tempDir();
    try {
      const actor = localProfile(tmp.dir);
      expect(actor.role).toBe('operator');
      const file = join(tmp.dir, 'profile.json');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(actor);
      expect(statSync(file).mode & 0o077).toBe(0);
    } finally {
      tmp.cleanup();
    }
  });

  it('reads a valid profile, and falls back to viewer (saying why) on a malformed one', () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'profile.json');
      writeFileSync(file, JSON.stringify({ user: 'ann', role: 'admin' }));
      expect(localProfile(tmp.dir)).toEqual({ user: 'ann', role: 'admin' });
      const logs: string[] = [];
      writeFileSync(file, JSON.stringify({ user: 'eve', role: 'root' }));
      expect(localProfile(tmp.dir, (m) => logs.push(m)).role).toBe('viewer');
      writeFileSync(file, '{not json');
      expect(localProfile(tmp.dir, (m) => logs.push(m)).role).toBe('viewer');
      expect(logs).toHaveLength(2);
      expect(logs[0]).toMatch(/profile\.json: role: /);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('desktop profile: the real fleet to watch', () => {
  it('is the simulator without a fleet section, and resolves fleet paths against the profile folder', async () => {
    const { profileFleet } = await import('../../../main/electron/profile.js');
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'profile.json');
      expect(profileFleet(tmp.dir)).toBeNull();
      writeFileSync(file, JSON.stringify({ user: 'ann', role: 'operator' }));
      expect(profileFleet(tmp.dir)).toBeNull();
      writeFileSync(file, JSON.stringify({ user: 'ann', role: 'operator', fleet: { inventory: 'inv.yaml', certs: '/etc/headroom/certs', certName: 'desk' } }));
      expect(profileFleet(tmp.dir)).toEqual({ inventory: join(tmp.dir, 'inv.yaml'), sources: undefined, certs: '/etc/headroom/certs', certName: 'desk' });
      expect(localProfile(tmp.dir)).toEqual({ user: 'ann', role: 'operator' });
      writeFileSync(file, JSON.stringify({ user: 'ann', role: 'operator', fleet: { inventory: 'inv.yaml', leaseMs: 5 } }));
      expect(profileFleet(tmp.dir)).toBeNull();
    } finally {
      tmp.cleanup();
    }
  });
});

describe('desktop profile: the first screen remembers the last choice', () => {
  it('keeps the rest of profile.json, refuses a malformed choice, and leaves a broken profile alone', async () => {
    const { lastStart, saveStart } = await import('../../../main/electron/profile.js');
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'profile.json');
      expect(lastStart(tmp.dir)).toBeNull();
      // No profile yet: created (operator) with the choice in it.
      expect(saveStart(tmp.dir, { mode: 'local' })).toBe(true);
      expect(lastStart(tmp.dir)).toEqual({ mode: 'local' });
      writeFileSync(file, JSON.stringify({ user: 'ann', role: 'admin', fleet: { inventory: 'inv.yaml' } }));
      expect(saveStart(tmp.dir, { mode: 'controller', url: 'https://ctl.example:8443', caFile: '/etc/headroom/ca.crt', tokenSealed: 'c2VhbGVk' })).toBe(true);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ user: 'ann', role: 'admin', fleet: { inventory: 'inv.yaml' }, start: { mode: 'controller', url: 'https://ctl.example:8443', caFile: '/etc/headroom/ca.crt', tokenSealed: 'c2VhbGVk' } });
      expect(localProfile(tmp.dir)).toEqual({ user: 'ann', role: 'admin' });
      const logs: string[] = [];
      expect(saveStart(tmp.dir, { mode: 'controller', url: 'not a url' }, (m) => logs.push(m))).toBe(false);
      expect(lastStart(tmp.dir)).toMatchObject({ url: 'https://ctl.example:8443' });
      writeFileSync(file, '{broken');
      expect(saveStart(tmp.dir, { mode: 'local' }, (m) => logs.push(m))).toBe(false);
      expect(readFileSync(file, 'utf8')).toBe('{broken');
      expect(lastStart(tmp.dir)).toBeNull();
      expect(logs).toHaveLength(2);
      expect(logs[1]).toMatch(/not remembered/);
    } finally {
      tmp.cleanup();
    }
  });
});
