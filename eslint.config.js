import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.electron-native/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // the engine never touches Electron: the shell passes it what it needs
    files: ['src/main/core/**/*.ts', 'src/main/cli/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'core, cli and shared never import electron; take it as a parameter from src/main/shell.' }],
          patterns: [{ group: ['**/shell/**', 'electron/*'], message: 'core, cli and shared never import the shell.' }],
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
