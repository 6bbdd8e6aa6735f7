import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every .ts file under `dir`, by absolute path. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * The files each file imports, type-only imports and re-exports included: what import-x/no-cycle
 * leaves out (it follows value imports only, see docs/layers.md) is what this graph adds.
 */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(
    files.map((file) => {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      const targets = importedFiles
        .map((i) => i.fileName)
        .filter((name) => name.startsWith('.'))
        .map((name) => resolve(dirname(file), name))
        .filter((path) => known.has(path));
      return [file, [...new Set(targets)]];
    }),
  );
}

/** The strongly connected components with more than one file (Tarjan): each is a cycle. */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('import cycles through type-only imports', () => {
  it('finds the files that import each other round a circle, and none in a chain', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(cyclesOf(graph), [['a', 'b', 'c']]);
    assert.deepEqual(cyclesOf(new Map([...graph, ['c', []]])), []);
  });

  it('reads a type-only import as an edge, where import-x/no-cycle sees none', async () => {
    const fixture = join(ROOT, 'test', 'fixtures', 'lint', 'type-cycle');
    const a = join(fixture, 'a.ts');
    const b = join(fixture, 'b.ts');
    assert.deepEqual(cyclesOf(importGraph([a, b])), [[a, b]]);
    const eslint = new ESLint({
      cwd: ROOT,
      ignore: false,
      overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
      ruleFilter: ({ ruleId }) => ruleId === 'import-x/no-cycle',
    });
    const results = await eslint.lintFiles([a, b]);
    assert.deepEqual(
      results.flatMap((r) => r.messages),
      [],
    );
  });

  it('finds none in src/', () => {
    const cycles = cyclesOf(importGraph(tsFiles(join(ROOT, 'src'))));
    assert.deepEqual(
      cycles.map((c) => c.map((f) => relative(ROOT, f))),
      [],
    );
  });
});
