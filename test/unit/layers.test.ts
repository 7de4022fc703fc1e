import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// The layer rules live in eslint.config.js; this proves they bite. The table below is the architecture as
// docs/ARCHITECTURE.md draws it, written out independently of the config: a rule dropped from the config, or
// a pattern that only matches one folder deep, fails here.
// Typed rules need a file in a tsconfig; the planted files are not on disk, so they are linted without types.
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: { languageOptions: { parserOptions: { project: false } }, rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' } },
});
async function violations(filePath: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  if (!res) throw new Error(`ESLint returned nothing for ${filePath}`);
  const fatal = res.messages.filter((m) => m.fatal);
  if (fatal.length) throw new Error(`${filePath}: ${fatal.map((m) => m.message).join('; ')}`);
  return res.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}
const importOf = (spec: string) => `import { x } from '${spec}';\nexport const y = x;\n`;
/** Refused: at least one layer rule reports the import (several patterns may name the same folder). */
async function refused(filePath: string, spec: string): Promise<boolean> {
  return (await violations(filePath, importOf(spec))).length > 0;
}

/** Each main/ layer and the main/ layers it may import (all may import shared/ and themselves). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  node: ['core'],
  sim: ['core'],
  pki: ['core', 'node'],
  store: ['core', 'node'],
  sources: ['core', 'node', 'sim'],
  actuators: ['core', 'sim'],
  fleet: ['core', 'node', 'sim', 'pki', 'sources'],
  agent: ['core', 'node', 'sim', 'pki'],
  engine: ['core', 'node'],
  app: ['core', 'node', 'sim', 'pki', 'store', 'sources', 'actuators', 'fleet', 'engine'],
  server: ['core', 'node', 'engine'],
  electron: ['core', 'node', 'engine', 'app', 'server'],
  ha: ['core', 'node', 'store', 'engine', 'app', 'server'],
  cli: ['core', 'node', 'sim', 'pki', 'store', 'sources', 'actuators', 'fleet', 'engine', 'app', 'server', 'agent', 'ha'],
};
const LAYERS = Object.keys(MAY_IMPORT);
/** A file of `layer` at depth 1 (main/<layer>/x.ts) and depth 2 (main/<layer>/deep/x.ts), and how each reaches main/. */
const depths = (layer: string) => [
  { file: `main/${layer}/x.ts`, up: '../' },
  { file: `main/${layer}/deep/x.ts`, up: '../../' },
];

describe('architecture layers (ESLint)', () => {
  it('the folders of main/ are exactly the layers the rules know', async () => {
    const { readdirSync } = await import('node:fs');
    const dirs = readdirSync('main', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(dirs.sort()).toEqual([...LAYERS].sort());
  });

  describe.each(LAYERS)('main/%s', (layer) => {
    const allowed = MAY_IMPORT[layer] ?? [];
    const forbidden = LAYERS.filter((l) => l !== layer && !allowed.includes(l));

    it.each(depths(layer))('refuses every layer above it or beside it from $file', async ({ file, up }) => {
      for (const other of forbidden) {
        expect(await refused(file, `${up}${other}/y.js`), `${file} → main/${other}`).toBe(true);
        expect(await refused(file, `${up}${other}/deeper/y.js`), `${file} → main/${other}/deeper`).toBe(true);
      }
    });

    it.each(depths(layer))('allows the layers below it and shared/ from $file', async ({ file, up }) => {
      for (const other of [...allowed, layer]) expect(await violations(file, importOf(`${up}${other}/y.js`)), `${file} → main/${other}`).toHaveLength(0);
      expect(await violations(file, importOf(`${up}../shared/domain/fleet.js`))).toHaveLength(0);
    });

    it.each(depths(layer))("imports 'electron' only in main/electron ($file)", async ({ file }) => {
      expect(await refused(file, 'electron')).toBe(layer !== 'electron');
    });
  });

  it('main/core may not do I/O at any depth', async () => {
    for (const file of ['main/core/x.ts', 'main/core/control/x.ts']) {
      for (const pkg of ['node:fs', 'fs', 'node:net', 'better-sqlite3', 'ws', 'child_process']) expect(await refused(file, pkg), `${file} → ${pkg}`).toBe(true);
    }
  });

  it('the host agent stays small: no SQLite, WebSocket or UI packages', async () => {
    for (const file of ['main/agent/x.ts', 'main/agent/deep/x.ts']) {
      for (const pkg of ['better-sqlite3', 'ws', 'vue']) expect(await refused(file, pkg), `${file} → ${pkg}`).toBe(true);
    }
  });

  it('the renderer never imports Node, Electron or main/, at any depth', async () => {
    for (const [file, up] of [['renderer/x.ts', '../'], ['renderer/views/x.ts', '../../']] as const) {
      expect(await refused(file, 'electron')).toBe(true);
      expect(await refused(file, 'node:path')).toBe(true);
      expect(await refused(file, `${up}main/engine/engine.js`)).toBe(true);
      expect(await violations(file, importOf(`${up}shared/domain/fleet.js`))).toHaveLength(0);
    }
  });

  it('shared/ stays platform-free and imports only shared/, at any depth', async () => {
    for (const [file, up] of [['shared/x.ts', '../'], ['shared/domain/x.ts', '../../']] as const) {
      expect(await refused(file, 'vue')).toBe(true);
      expect(await refused(file, 'node:http')).toBe(true);
      expect(await refused(file, `${up}main/core/ports.js`)).toBe(true);
      expect(await refused(file, `${up}renderer/stores/ui.js`)).toBe(true);
    }
  });

  describe('every view reads through a store', () => {
    const importsApi = "import { attempt } from '../api/index.js';\nexport const x = attempt;\n";
    const sfc = (code: string) => `<script setup lang="ts">\n${code}</script>\n\n<template><div /></template>\n`;

    it('views and components never import the api client', async () => {
      expect(await violations('renderer/views/X.vue', sfc(importsApi))).toHaveLength(1);
      expect(await violations('renderer/components/X.vue', sfc(importsApi))).toHaveLength(1);
      expect(await violations('renderer/components/x.ts', importsApi)).toHaveLength(1);
    });

    it('they still may not import Node or main/, and may import stores', async () => {
      expect(await violations('renderer/views/X.vue', sfc("import { join } from 'node:path';\nexport const x = join;\n"))).toHaveLength(1);
      expect(await violations('renderer/views/X.vue', sfc("import { Engine } from '../../main/engine/engine.js';\nconst x = Engine;\n"))).toHaveLength(1);
      expect(await violations('renderer/views/X.vue', sfc("import { usePolicyStore } from '../stores/policy.js';\nconst x = usePolicyStore;\n"))).toHaveLength(0);
    });

    it('stores use the api client', async () => {
      expect(await violations('renderer/stores/x.ts', importsApi)).toHaveLength(0);
    });
  });

  it('a non-null assertion must say something: unnecessary ones are errors, `xs[i]!` is not (noUncheckedIndexedAccess)', async () => {
    // Fixture files of the project (in tsconfig.test.json, so typed rules see their own types); `eslint .` skips
    // them (eslint.config.js ignores test/fixtures/lint), this linter does not.
    const typed = new ESLint({ cwd: process.cwd(), ignore: false });
    const lint = async (file: string) => {
      const [res] = await typed.lintFiles([file]);
      const fatal = (res?.messages ?? []).filter((m) => m.fatal);
      if (fatal.length) throw new Error(fatal.map((m) => m.message).join('; '));
      return (res?.messages ?? []).filter((m) => m.ruleId === '@typescript-eslint/no-unnecessary-type-assertion').length;
    };
    expect(await lint('test/fixtures/lint/needless-assertion.ts')).toBe(1);
    expect(await lint('test/fixtures/lint/index-assertion.ts')).toBe(0);
  });
});
