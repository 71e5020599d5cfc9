// Flat config. The boundary rules (what may import what, DESIGN.md §2) are exported on their own
// so that tests/unit/lint-boundaries.test.ts can prove they catch a forbidden import.
import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { readdirSync } from 'node:fs';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'tls', 'http', 'https', 'crypto'];

const restrict = (paths, patterns = []) => ({
  'no-restricted-imports': ['error', { paths, patterns }],
});
const electron = { name: 'electron', message: 'Only main/shell and main/preload may import electron.' };

// A service family (agent/services/<family>/) imports only its own folder, kit/, codecs/ and shared/;
// kit/ and codecs/ import only each other. Families are the folders on disk, so a new one is fenced too.
const servicesDir = new URL('./agent/services/', import.meta.url);
const shared = ['./services/kit', './services/codecs'];
const serviceZones = readdirSync(servicesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => ({
    target: `./agent/services/${d.name}`,
    from: './agent',
    except: ['kit', 'codecs'].includes(d.name) ? shared : [...shared, `./services/${d.name}`],
    message: 'a service imports only its own family folder, services/kit, services/codecs and shared/.',
  }));

/** Import fences between folders; no type information needed. */
export const boundaryConfig = [
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: { parser: tseslint.parser },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs'] })] },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            {
              target: './shared',
              from: ['./main', './renderer', './agent'],
              message: 'shared/ imports only shared/ and zod.',
            },
            {
              target: './shared',
              from: './shared/node',
              except: [],
              message: 'shared/ (pure) must not import shared/node.',
            },
            {
              target: './main/core',
              from: ['./main/shell', './main/preload', './renderer', './agent'],
              message: 'main/core is pure Node: no shell, renderer or agent code.',
            },
            {
              target: './main/shell',
              from: ['./renderer', './agent'],
              message: 'main/shell never imports the renderer or the agent.',
            },
            {
              target: './main/shell',
              from: './main/core',
              except: ['./master.ts'],
              message: 'main/shell talks to the master only through main/core/master.ts.',
            },
            {
              target: './renderer',
              from: ['./main', './agent', './shared/node'],
              message: 'renderer reaches the master only through the bridge.',
            },
            { target: './agent', from: ['./main', './renderer'], message: 'agent never imports the master or the UI.' },
            ...serviceZones,
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/node/**'],
    rules: restrict(
      [electron],
      [{ group: nodeBuiltins, message: 'shared/ has no Node: put node code in shared/node.' }],
    ),
  },
  { files: ['shared/node/**/*.ts', 'main/core/**/*.ts', 'main/cli.ts', 'agent/**/*.ts'], rules: restrict([electron]) },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: restrict([electron], [{ group: nodeBuiltins, message: 'renderer never imports Node modules.' }]),
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      'eslint.config.mjs',
      'renderer/dist/**',
      'test-results/**',
      'scripts/*.d.mts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['tests/**/*.{ts,tsx}', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'max-lines': 'off',
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.js'],
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  ...boundaryConfig,
);
