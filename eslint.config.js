// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const root = import.meta.dirname;

/**
 * The layers of src/, top to bottom (docs/layers.md says why each sits where it does). A folder
 * may import its own layer and any layer below it, never one above. Paths are relative to the
 * repository root; a folder that does not exist yet costs nothing.
 */
const LAYERS = [
  ['src/commands'],
  ['src/cli'],
  ['src/ui'],
  ['src/engine'],
  ['src/phases'],
  ['src/targets'],
  ['src/sandbox'],
  ['src/adapters'],
  ['src/report'],
  ['src/suite', 'src/plan'],
  ['src/run'],
  ['src/util', 'src/errors', 'src/errors.ts', 'src/paths.ts'],
];

/**
 * Imports a layer may make upwards all the same, by layer folder: the report's wording of a target
 * comes from a pure descriptor of the targets (types only), so the report stays low.
 */
const EXCEPTIONS = { 'src/report': { 'src/targets': ['./traits.ts'] } };

/** One zone per (layer, higher folder): the higher folder's files may not be imported from the layer. */
function layerZones() {
  return LAYERS.flatMap((folders, level) =>
    LAYERS.slice(0, level)
      .flat()
      .flatMap((higher) =>
        folders.map((folder) => {
          const except = EXCEPTIONS[/** @type {keyof typeof EXCEPTIONS} */ (folder)]?.[higher];
          return {
            target: folder,
            from: higher,
            ...(except ? { except } : {}),
            message: `${folder} sits below ${higher} in the layers (docs/layers.md): move the shared part down instead.`,
          };
        }),
      ),
  );
}

export default tseslint.config(
  // test/fixtures/lint/ holds files that break the layer and cycle rules on purpose: test/lint/*.test.ts
  // lint them with this config, the normal run must not.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.bench/**', 'test/fixtures/lint/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Type-aware rules need the program of tsconfig.json, which covers src/, test/ and bench/ (not bin/, scripts/).
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // An implementation (or a test's fake) of an async interface is async without awaiting: the promise is the contract.
      '@typescript-eslint/require-await': 'off',
      // Journal data, tofu outputs and suite variables are JSON typed `unknown` on purpose; String() of one is the text meant.
      '@typescript-eslint/no-base-to-string': 'off',
      // The same values in template literals (events' details, test messages): `${unknown}` is the text meant there too.
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'test/fixtures/lint/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Without these the plugin reads only .js files when it follows imports, and sees no cycle among .ts ones.
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Each lint run parses every module once (the default drops them after 30 s and parses again).
      'import-x/cache': { lifetime: Infinity },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })],
    },
    rules: {
      // It skips type-only imports (erased at run time); test/lint/type-cycles.test.ts finds cycles through them.
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: layerZones() }],
    },
  },
  {
    // Commands stay thin: they never reach the outside world themselves (DESIGN.md, Layers).
    files: ['src/commands/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/adapters/**'],
              message: 'commands call engine functions; adapters are built in src/adapters/index.ts',
            },
            { group: ['@aws-sdk/*', '@kubernetes/*', 'execa'], message: 'side effects live in src/adapters' },
          ],
        },
      ],
    },
  },
);
