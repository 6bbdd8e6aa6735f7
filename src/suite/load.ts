import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { SuiteError, UsageError } from '../errors.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { suiteSchema, type Suite } from './schema.ts';

/** The file every suite directory holds. */
export const SUITE_FILE = 'suite.yaml';

/** A suite loaded from disk, with where it came from. */
export interface LoadedSuite {
  suite: Suite;
  /** Directory holding suite.yaml; manifest paths are relative to it. */
  dir: string;
  file: string;
  builtIn: boolean;
}

/** Names of the suites shipped in manifests/. */
export function listBuiltInSuites(root: string = PACKAGE_ROOT): string[] {
  const dir = join(root, 'manifests');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, SUITE_FILE)))
    .map((e) => e.name)
    .sort();
}

function looksLikePath(ref: string): boolean {
  return ref.includes('/') || ref.startsWith('.') || ref.startsWith('~');
}

/** Finds the suite file for a built-in name or a user's directory (or file) path. */
export function resolveSuiteFile(ref: string, cwd: string = process.cwd()): { file: string; builtIn: boolean } {
  if (ref.trim() === '') {
    throw new UsageError('E_SUITE_MISSING', 'no suite given', {
      fix: `name a built-in suite (${listBuiltInSuites().join(', ')}) or the directory of your own suite.yaml`,
    });
  }
  const asPath = resolve(cwd, ref);
  if (looksLikePath(ref) || existsSync(asPath)) {
    if (!existsSync(asPath)) {
      throw new UsageError('E_SUITE_NOT_FOUND', `suite directory '${ref}' does not exist`, {
        fix: `check the path, or name a built-in suite (${listBuiltInSuites().join(', ')})`,
      });
    }
    const file = statSync(asPath).isDirectory() ? join(asPath, SUITE_FILE) : asPath;
    if (!existsSync(file)) {
      throw new UsageError('E_SUITE_NOT_FOUND', `'${ref}' holds no ${SUITE_FILE}`, {
        fix: `create ${join(ref, SUITE_FILE)} (see manifests/thyme/suite.yaml for an example) or point at the directory that has it`,
      });
    }
    return { file, builtIn: false };
  }
  const builtIn = listBuiltInSuites();
  if (!builtIn.includes(ref)) {
    throw new UsageError('E_SUITE_UNKNOWN', `unknown suite '${ref}'`, {
      fix: `use one of the built-in suites (${builtIn.join(', ')}) or the path of a directory holding a ${SUITE_FILE}`,
    });
  }
  return { file: join(PACKAGE_ROOT, 'manifests', ref, SUITE_FILE), builtIn: true };
}

/** One problem found in a suite file, located for the person who has to fix it. */
export interface SuiteIssue {
  /** Dotted field path, e.g. `phases.active.duration`. */
  path: string;
  line: number | undefined;
  column: number | undefined;
  message: string;
}

/** Loads and validates a suite; any problem is a SuiteError (exit 2) naming file, field and fix. */
export function loadSuite(ref: string, cwd: string = process.cwd()): LoadedSuite {
  const { file, builtIn } = resolveSuiteFile(ref, cwd);
  const rel = relative(cwd, file);
  const shown = rel && !rel.startsWith('..') ? rel : file;
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: SuiteIssue[] = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { path: '', line: pos.line, column: pos.col, message: e.message.split('\n')[0] ?? e.message };
    });
    throw suiteError(shown, issues, 'the file is not valid YAML');
  }
  const result = suiteSchema.safeParse(doc.toJS());
  if (!result.success) {
    throw suiteError(
      shown,
      result.error.issues.map((i) => locateIssue(i, doc, lineCounter)),
      'the suite does not match the schema',
    );
  }
  return { suite: result.data, dir: dirname(file), file, builtIn };
}

function suiteError(file: string, issues: SuiteIssue[], what: string): SuiteError {
  const lines = issues.slice(0, 20).map((i) => {
    const where = i.line === undefined ? file : `${file}:${i.line}:${i.column}`;
    return `  ${where}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
  });
  if (issues.length > 20) lines.push(`  ... and ${issues.length - 20} more`);
  return new SuiteError('E_SUITE_INVALID', `invalid suite ${file}: ${what}\n${lines.join('\n')}`, {
    fix: `edit ${file} at the fields named above (the suite format is described in the README, "Suites")`,
    data: { file, issues },
  });
}

function locateIssue(issue: z.core.$ZodIssue, doc: Document, lineCounter: LineCounter): SuiteIssue {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  let message = issue.message;
  let lookup = path;
  if (issue.code === 'unrecognized_keys') {
    message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}: remove or fix the spelling`;
    lookup = [...path, issue.keys[0] as string];
  } else if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    message = `required field is missing (${issue.message.replace(/^Invalid input: /, '')})`;
  } else {
    message = message.replace(/^Invalid input: /, '');
  }
  // Walk up to the nearest node that exists in the file: a missing field points at its parent.
  for (let n = lookup.length; n >= 0; n--) {
    const node = doc.getIn(lookup.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && Array.isArray(node.range)) {
      const pos = lineCounter.linePos(node.range[0]);
      return { path: path.join('.'), line: pos.line, column: pos.col, message };
    }
  }
  return { path: path.join('.'), line: undefined, column: undefined, message };
}
