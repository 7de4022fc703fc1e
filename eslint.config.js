// Layer rules are enforced here, not in review (see docs/ARCHITECTURE.md):
//   shared       ← everyone; imports nothing outside shared/ (no Node, Electron, Vue)
//   main/<layer> imports only the layers below it (MAIN_LAYERS); main/core is pure (no I/O, SQLite, sockets)
//   main/agent   the host agent runs alone on GPU hosts: core, pki, sim only; no engine, store, server or UI
//   main/*       only main/electron imports 'electron'
//   renderer     imports only shared/ of the project, never Node or Electron
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';

const nodeModules = ['node:*', 'fs', 'path', 'net', 'http', 'https', 'os', 'child_process', 'worker_threads', 'crypto', 'url'];
const ioPackages = ['electron', 'better-sqlite3', 'ws', 'yaml', 'etcd3'];
const forbid = (names, message) => names.map((name) => ({ group: [name], message }));

/**
 * The layers of main/, bottom to top, and the main/ layers each may import (every layer may import shared/ and
 * itself). Imports point down only: adapters (sim, pki, store, sources, actuators, fleet) never import the engine
 * or the app; the engine sees adapters only through the ports in main/core; app (the composition root) and the
 * faces (server, electron, cli) sit on top; main/ha (redundant controllers on etcd) composes app and server for cli. test/unit/layers.test.ts plants a violation of each at depth 1 and 2.
 */
const MAIN_LAYERS = {
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
/** Packages some layers may not use, beyond 'electron'. */
const EXTRA = {
  core: forbid([...nodeModules, ...ioPackages], 'main/core is pure domain logic: no I/O'),
  agent: forbid(['better-sqlite3', 'ws', 'vue', 'pinia', 'echarts'], 'the agent runs alone on GPU hosts: keep it small'),
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'bench/results.json', 'coverage/**', 'tmp/**', '.dev/**', 'test/fixtures/lint/**', 'reports/**', '.stryker-tmp/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module', extraFileExtensions: ['.vue'] } },
    rules: { 'vue/max-attributes-per-line': 'off', 'vue/singleline-html-element-content-newline': 'off', 'vue/html-self-closing': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...forbid([...nodeModules, ...ioPackages, 'vue', 'pinia', 'echarts'], 'shared/ must stay platform-free'), { group: ['**/main/**', '**/renderer/**'], message: 'shared/ imports only shared/' }] }],
    },
  },
  // One block per main/ layer: what it may not import, at any depth (`**` patterns match '../x/', '../../x/' …).
  ...Object.entries(MAIN_LAYERS).map(([layer, allowed]) => ({
    files: [`main/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...(EXTRA[layer] ?? []),
            ...(layer === 'electron' ? [] : forbid(['electron'], "only main/electron imports 'electron'")),
            ...Object.keys(MAIN_LAYERS)
              .filter((other) => other !== layer && !allowed.includes(other))
              .map((other) => ({ group: [`**/${other}/**`], message: `main/${layer} may import only ${allowed.length ? allowed.map((a) => `main/${a}`).join(', ') + ' and ' : ''}shared/ (see docs/ARCHITECTURE.md)` })),
            { group: ['**/renderer/**'], message: 'main/ never imports the renderer' },
          ],
        },
      ],
    },
  })),
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.vue'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...forbid([...nodeModules, 'electron', 'better-sqlite3', 'ws'], 'the renderer runs sandboxed in a browser'), { group: ['**/main/**'], message: 'the renderer talks to the engine only through the api client' }] },
      ],
    },
  },
  {
    // Every view reads through a store: views and components never call the api client themselves. (A later block
    // replaces a rule's options, so the renderer's patterns are repeated here.)
    files: ['renderer/views/**', 'renderer/components/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...forbid([...nodeModules, 'electron', 'better-sqlite3', 'ws'], 'the renderer runs sandboxed in a browser'),
            { group: ['**/main/**'], message: 'the renderer talks to the engine only through the api client' },
            { group: ['**/api/**', '**/api'], message: 'views and components read and act through a Pinia store (renderer/stores), never the api client' },
          ],
        },
      ],
    },
  },
  // Typed: a `!` or `as` must change the type. With noUncheckedIndexedAccess on (every tsconfig), `xs[i]!` says "in
  // range by construction"; assertions that say nothing are errors (and `eslint --fix` removes them).
  {
    files: ['main/**/*.ts', 'shared/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'soak/**/*.ts', 'scripts/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.vue'],
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json', './renderer/tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'error' },
  },
);
