import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const noElectron = { name: 'electron', message: 'core, cli and shared never import electron; take it as a parameter from src/main/shell.' };
const noShell = { group: ['**/shell/**', 'electron/*'], message: 'core, cli and shared never import the shell.' };

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.electron-native/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // no import circles in the app's code: a circle hides which layer depends on which
    // (lifeboat -> handlers -> tasks -> backup/restore/verify -> catalog/crypto/archive/postgres)
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // the engine never touches Electron: the shell passes it what it needs
    files: ['src/main/core/**/*.ts', 'src/main/cli/**/*.ts', 'src/shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [noShell] }] },
  },
  {
    // inside the engine, each part takes Pick<CoreContext, ...> of what it uses; only lifeboat.ts
    // assembles the whole core (type imports make no run-time circle, so no-cycle cannot see this)
    files: ['src/main/core/**/*.ts'],
    ignores: ['src/main/core/lifeboat.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [noShell, { group: ['**/lifeboat', '**/core/lifeboat'], message: 'take Pick<CoreContext, ...> (core/context.ts) of what you use, not the whole LifeboatCore.' }],
        },
      ],
    },
  },
  {
    // shared is pure: types and constants the renderer can load too
    files: ['src/shared/**/*.ts', 'src/renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*', '**/main/**'], message: 'shared and renderer code runs without Node.' }] },
      ],
    },
  },
);
