import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';

// Loaded without its type declarations: they pull in the DOM library (`/// <reference lib="dom" />`),
// whose WebCrypto types then clash with Node's everywhere else in the program.
const { parse } = createRequire(import.meta.url)('@cdktf/hcl2json') as {
  parse: (filename: string, contents: string) => Promise<Record<string, unknown>>;
};

/** A variable an OpenTofu module declares, as its `variable` block says. */
export interface ModuleVariable {
  name: string;
  /** The type constraint as written, e.g. `number`, `list(string)`; `any` when none is given. */
  type: string;
  hasDefault: boolean;
}

/**
 * Reads the variables a module declares from its .tf files, with HashiCorp's HCL parser (the
 * Go parser compiled to WebAssembly, as @cdktf/hcl2json ships it), so that `--var` values are
 * checked against the module's types before anything runs.
 */
export async function readModuleVariables(moduleDir: string): Promise<ModuleVariable[]> {
  const files = existsSync(moduleDir) ? readdirSync(moduleDir).filter((f) => f.endsWith('.tf')) : [];
  const out: ModuleVariable[] = [];
  for (const file of files.sort()) {
    const parsed = (await parse(file, readFileSync(join(moduleDir, file), 'utf8'))) as {
      variable?: Record<string, { type?: string; default?: unknown }[]>;
    };
    for (const [name, blocks] of Object.entries(parsed.variable ?? {})) {
      const block = blocks[0] ?? {};
      out.push({ name, type: unwrap(block.type ?? 'any'), hasDefault: 'default' in block });
    }
  }
  return out;
}

/** hcl2json writes expressions as `${...}`: the type constraint without that wrapping. */
function unwrap(expression: string): string {
  const m = /^\$\{([\s\S]*)\}$/.exec(expression.trim());
  return (m ? (m[1] as string) : expression).replace(/\s+/g, '');
}

/**
 * Types one `--var name=value` by the module variable's type constraint: `number`, `bool`,
 * `string`; `list(...)`/`set(...)` from a JSON list or values separated by commas; `map(...)`,
 * `object(...)` and `tuple(...)` from JSON. A value that does not fit is a UsageError naming the
 * type and how to write it.
 */
export function typeVariableValue(variable: ModuleVariable, raw: string): unknown {
  const { name, type } = variable;
  const refuse = (expected: string, example: string): never => {
    throw new UsageError('E_VAR_TYPE', `--var ${name}=${raw}: the module declares ${name} as ${type}; ${expected}`, {
      fix: `write e.g. --var ${name}=${example}`,
    });
  };
  if (type === 'number') {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) return refuse('expected a number', '3');
    return value;
  }
  if (type === 'bool') {
    if (raw !== 'true' && raw !== 'false') return refuse('expected true or false', 'true');
    return raw === 'true';
  }
  if (type === 'string') return raw;
  const collection = /^(list|set)\((.*)\)$/.exec(type);
  if (collection) {
    const element = collection[2] as string;
    let values: unknown;
    if (raw.trim().startsWith('[')) {
      values = parseJson(raw);
      if (!Array.isArray(values)) return refuse('expected a JSON list', `'["a","b"]'`);
    } else {
      values = raw.trim() === '' ? [] : raw.split(',').map((v) => v.trim());
    }
    return (values as unknown[]).map((v, i) =>
      typeVariableValue(
        { name: `${name}[${i}]`, type: element, hasDefault: false },
        typeof v === 'string' ? v : JSON.stringify(v),
      ),
    );
  }
  if (/^(map|object|tuple)\(/.test(type)) {
    const value = parseJson(raw);
    const wantsObject = !type.startsWith('tuple');
    if (value === undefined || (wantsObject ? !isPlainObject(value) : !Array.isArray(value)))
      return refuse(
        `expected a JSON ${wantsObject ? 'object' : 'list'}`,
        wantsObject ? `'{"key":"value"}'` : `'["a",1]'`,
      );
    return value;
  }
  // `any`, or a constraint this reader does not narrow: JSON when it parses, else the text.
  return parseJson(raw) ?? raw;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The module's `variable` blocks alone, as an OpenTofu JSON configuration (`*.tf.json`): types,
 * defaults, `sensitive`, `nullable` and every `validation` block exactly as declared, and no
 * resource, provider or backend. `tofu plan` of it evaluates the module's own validation rules
 * against a run's variables in a fraction of a second, offline, creating nothing — so a value the
 * module would refuse (`node_count = 0`) is refused before the run directory exists, by OpenTofu
 * itself rather than by a second implementation of its expression language.
 */
export async function variablesOnlyModule(moduleDir: string): Promise<{ variable: Record<string, unknown> }> {
  const files = existsSync(moduleDir) ? readdirSync(moduleDir).filter((f) => f.endsWith('.tf')) : [];
  const variable: Record<string, unknown> = {};
  for (const file of files.sort()) {
    const parsed = (await parse(file, readFileSync(join(moduleDir, file), 'utf8'))) as {
      variable?: Record<string, Record<string, unknown>[]>;
    };
    for (const [name, blocks] of Object.entries(parsed.variable ?? {})) {
      const block = blocks[0] ?? {};
      const out: Record<string, unknown> = {};
      // In JSON syntax `type` is a string holding the type expression, not a template.
      if (typeof block.type === 'string') out.type = unwrapExpression(block.type);
      for (const key of ['default', 'sensitive', 'nullable', 'validation'] as const)
        if (key in block) out[key] = block[key];
      variable[name] = out;
    }
  }
  return { variable };
}

function unwrapExpression(expression: string): string {
  const m = /^\$\{([\s\S]*)\}$/.exec(expression.trim());
  return m ? (m[1] as string) : expression;
}
