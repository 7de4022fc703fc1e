#!/usr/bin/env node
// Entry point of the `headroom` command. The TypeScript sources are compiled into dist/ by `npm run build`
// (run automatically by `npm install` through the "prepare" script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main/cli/headroom.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('headroom: not built yet — run `npm run build` in the Headroom folder first.');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
