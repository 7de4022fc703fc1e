// Layer rules are enforced here, not in review (see docs/ARCHITECTURE.md):
//   shared       ← everyone; imports nothing outside shared/ (no Node, Electron, Vue)
//   main/core    imports only shared/ (pure: no I/O, no SQLite, no sockets, no Electron)
//   main/agent   the host agent runs alone on GPU hosts: no engine, store, server, Electron or UI code
//   main/*       only main/electron imports 'electron'
//   renderer     imports only shared/ of the project, never Node or Electron
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';

const nodeModules = ['node:*', 'fs', 'path', 'net', 'http', 'https', 'os', 'child_process', 'worker_threads', 'crypto', 'url'];
const ioPackages = ['electron', 'better-sqlite3', 'ws', 'yaml'];
const forbid = (names, message) => names.map((name) => ({ group: [name], message }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'bench/results.json', 'coverage/**', 'tmp/**'] },
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
  {
    files: ['main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...forbid([...nodeModules, ...ioPackages], 'main/core is pure domain logic: no I/O'),
            { group: ['../sim/*', '../engine/*', '../store/*', '../server/*', '../sources/*', '../cli/*', '../electron/*', '../agent/*', '../actuators/*'], message: 'main/core imports only shared/' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...forbid(['electron', 'better-sqlite3', 'ws', 'vue', 'pinia', 'echarts'], 'the agent runs alone on GPU hosts: keep it small'),
            { group: ['../engine/*', '../store/*', '../server/*', '../cli/*', '../electron/*', '../actuators/*'], message: 'the agent does not use the console (engine, store, server)' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/electron/**', 'main/core/**', 'main/agent/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: forbid(['electron'], "only main/electron imports 'electron'") }] },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.vue'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...forbid([...nodeModules, 'electron', 'better-sqlite3', 'ws'], 'the renderer runs sandboxed in a browser'), { group: ['**/main/**'], message: 'the renderer talks to the engine only through the api client' }] },
      ],
    },
  },
);
