import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint, type Linter } from 'eslint';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'lint');

/** The rules that hold the layers: import cycles, the zones, and the commands' own rule. */
const LAYER_RULES = new Set(['import-x/no-cycle', 'import-x/no-restricted-paths', 'no-restricted-imports']);

/**
 * The project's config with only the layer rules and without type information: those rules read
 * imports, not types, and building the whole program would cost most of the time of this test.
 * `ignore: false` because the config keeps the deliberately broken fixtures out of `npm run lint`.
 */
const layersOnly = new ESLint({
  cwd: ROOT,
  ignore: false,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => LAYER_RULES.has(ruleId),
});

function ruleIds(results: ESLint.LintResult[]): string[] {
  return results.flatMap((r) => r.messages.map((m: Linter.LintMessage) => m.ruleId ?? `(none: ${m.message})`));
}

/** Lints one import as if it were written in a new file at `file` (relative to the repository). */
async function lintImport(file: string, specifier: string): Promise<string[]> {
  const code = `import * as imported from '${specifier}';\n\nexport const used = imported;\n`;
  return ruleIds(await layersOnly.lintText(code, { filePath: join(ROOT, file) }));
}

describe('the layers, as lint enforces them', () => {
  it('reports two modules that import each other', async () => {
    const results = await layersOnly.lintFiles([join(FIXTURES, 'cycle', 'a.ts'), join(FIXTURES, 'cycle', 'b.ts')]);
    assert.deepEqual(ruleIds(results), ['import-x/no-cycle', 'import-x/no-cycle']);
  });

  const upwards: [file: string, specifier: string][] = [
    ['src/run/new-file.ts', '../engine/run/run-benchmark.ts'],
    ['src/run/new-file.ts', '../sandbox/layout.ts'],
    ['src/run/new-file.ts', '../adapters/tofu.ts'],
    ['src/report/new-file.ts', '../phases/record-images.ts'],
    ['src/report/new-file.ts', '../sandbox/agent/simulator.ts'],
    ['src/adapters/new-file.ts', '../sandbox/layout.ts'],
    ['src/phases/new-file.ts', '../engine/run/run-benchmark.ts'],
    ['src/engine/new-file.ts', '../ui/format.ts'],
    ['src/ui/new-file.ts', '../cli/base-command.ts'],
    ['src/suite/new-file.ts', '../report/model.ts'],
    ['src/util/new-file.ts', '../suite/schema.ts'],
    ['src/util/new-file.ts', '../run/journal.ts'],
  ];
  for (const [file, specifier] of upwards) {
    it(`refuses ${file} importing ${specifier} (a higher layer)`, async () => {
      assert.deepEqual(await lintImport(file, specifier), ['import-x/no-restricted-paths']);
    });
  }

  const downwards: [file: string, specifier: string][] = [
    ['src/engine/new-file.ts', '../phases/record-images.ts'],
    ['src/phases/new-file.ts', '../adapters/tofu.ts'],
    ['src/sandbox/new-file.ts', '../adapters/processes.ts'],
    ['src/adapters/new-file.ts', '../suite/render.ts'],
    ['src/report/new-file.ts', '../suite/schema.ts'],
    ['src/run/new-file.ts', '../errors.ts'],
    ['src/ui/new-file.ts', '../engine/run/run-benchmark.ts'],
  ];
  for (const [file, specifier] of downwards) {
    it(`lets ${file} import ${specifier} (a lower layer)`, async () => {
      assert.deepEqual(await lintImport(file, specifier), []);
    });
  }

  it('keeps commands away from the adapters', async () => {
    assert.deepEqual(await lintImport('src/commands/new-file.ts', '../adapters/tofu.ts'), ['no-restricted-imports']);
  });

  it('reports a floating promise and an async callback where a void one is expected', async () => {
    // The type-aware rules need a program: the fixture's own, of that one file, starts in a moment.
    const typed = new ESLint({
      cwd: ROOT,
      ignore: false,
      overrideConfig: {
        languageOptions: { parserOptions: { projectService: false, project: join(FIXTURES, 'tsconfig.json') } },
      },
    });
    const ids = ruleIds(await typed.lintFiles([join(FIXTURES, 'promises.ts')]));
    assert.deepEqual(ids.sort(), ['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises']);
  });

  it('finds no import cycle, no upward import and no command importing adapters in src/', async () => {
    const results = await layersOnly.lintFiles([join(ROOT, 'src')]);
    const found = results.flatMap((r) =>
      r.messages.map((m) => `${r.filePath.slice(ROOT.length + 1)}:${m.line} ${m.ruleId}: ${m.message}`),
    );
    assert.deepEqual(found, []);
  });
});
