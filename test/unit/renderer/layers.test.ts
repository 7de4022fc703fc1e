import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// Every view reads through a store (eslint.config.js): this proves the rule bites in views and components, and that
// stores may still use the api client.
const eslint = new ESLint({ cwd: process.cwd() });
async function violations(filePath: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return res!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}
const importsApi = "import { attempt } from '../api/index.js';\nexport const x = attempt;\n";
const sfc = (code: string) => `<script setup lang="ts">\n${code}</script>\n\n<template><div /></template>\n`;

describe('renderer layers (ESLint)', () => {
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
