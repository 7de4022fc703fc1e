import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// The layer rules live in eslint.config.js; this proves they bite, file by file.
const eslint = new ESLint({ cwd: process.cwd() });
async function violations(filePath: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return res!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('architecture layers (ESLint)', () => {
  it('main/core may not do I/O or reach into adapters', async () => {
    expect(await violations('main/core/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toHaveLength(1);
    expect(await violations('main/core/x.ts', "import Database from 'better-sqlite3';\nexport const x = Database;\n")).toHaveLength(1);
    expect(await violations('main/core/x.ts', "import { Engine } from '../engine/engine.js';\nexport const x = Engine;\n")).toHaveLength(1);
    expect(await violations('main/core/x.ts', "import { ClockEvent } from '../../shared/domain/fleet.js';\nexport const x = ClockEvent;\n")).toHaveLength(0);
  });

  it('the host agent stays free of the console (engine, store, Electron)', async () => {
    expect(await violations('main/agent/x.ts', "import { Engine } from '../engine/engine.js';\nexport const x = Engine;\n")).toHaveLength(1);
    expect(await violations('main/agent/x.ts', "import Database from 'better-sqlite3';\nexport const x = Database;\n")).toHaveLength(1);
    expect(await violations('main/agent/x.ts', "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
    expect(await violations('main/agent/x.ts', "import { parseNvidiaSmiQuery } from '../sources/parsers/nvidiaSmi.js';\nexport const x = parseNvidiaSmiQuery;\n")).toHaveLength(0);
  });

  it("only main/electron imports 'electron'", async () => {
    const code = "import { app } from 'electron';\nexport const x = app;\n";
    expect(await violations('main/server/x.ts', code)).toHaveLength(1);
    expect(await violations('main/electron/x.ts', code)).toHaveLength(0);
  });

  it('the renderer never imports Node, Electron or main/', async () => {
    expect(await violations('renderer/x.ts', "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
    expect(await violations('renderer/x.ts', "import { join } from 'node:path';\nexport const x = join;\n")).toHaveLength(1);
    expect(await violations('renderer/x.ts', "import { Engine } from '../main/engine/engine.js';\nexport const x = Engine;\n")).toHaveLength(1);
  });

  it('shared/ stays platform-free', async () => {
    expect(await violations('shared/x.ts', "import { ref } from 'vue';\nexport const x = ref;\n")).toHaveLength(1);
    expect(await violations('shared/x.ts', "import { createServer } from 'node:http';\nexport const x = createServer;\n")).toHaveLength(1);
  });
});
