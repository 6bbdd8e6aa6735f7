import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createTofu, type TofuDiagnostic } from '../adapters/tofu.ts';
import { BenchError, UsageError } from '../errors.ts';
import { sandboxBinDir } from '../sandbox/layout.ts';
import { variablesOnlyModule } from '../suite/module-variables.ts';

/** What {@link checkModuleValidation} needs: the module, the variables a run would pass, the binary. */
export interface ModuleValidationInput {
  moduleDir: string;
  /** The variables to check; the module's other variables, and any it does not declare, are left out. */
  variables: Record<string, unknown>;
  /** An OpenTofu (or Terraform) binary; validation rules mean the same in every recent release. */
  binary: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * Checks a run's module variables against the module's own `validation` blocks with OpenTofu,
 * before anything exists: the variable blocks alone are planned in a temporary directory (no
 * resource, no provider, nothing created). A value the module refuses is a UsageError (exit 2)
 * naming the variable and the module's own error message; any other failure is left to the run,
 * where `tofu apply` reports it in full.
 */
export async function checkModuleValidation(input: ModuleValidationInput): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bench-module-check-'));
  try {
    const moduleDir = join(root, 'variables');
    mkdirSync(moduleDir);
    const config = await variablesOnlyModule(input.moduleDir);
    // Only the variables given: a required one bench fills in later (run_id, the local API
    // server's endpoint) would otherwise stop the plan before any rule is evaluated.
    for (const name of Object.keys(config.variable)) if (!(name in input.variables)) delete config.variable[name];
    if (Object.keys(config.variable).length === 0) return;
    // And only those the module declares (a suite may give others; tofu would only warn of them).
    const variables = Object.fromEntries(Object.entries(input.variables).filter(([name]) => name in config.variable));
    writeFileSync(join(moduleDir, 'variables.tf.json'), `${JSON.stringify(config, null, 2)}\n`);
    // A sensitive variable's value is never shown, even when the module refuses it.
    const sensitive = new Set(
      Object.entries(config.variable)
        .filter(([, v]) => (v as { sensitive?: unknown }).sensitive === true)
        .map(([n]) => n),
    );
    const diagnostics: TofuDiagnostic[] = [];
    const tofu = createTofu({
      moduleDir,
      workDir: join(root, 'work'),
      binary: input.binary,
      env: input.env,
      signal: input.signal,
      onDiagnostic: (d) => diagnostics.push(d),
    });
    try {
      await tofu.init();
      await tofu.plan(variables);
    } catch (err) {
      const invalid = diagnostics.filter(
        (d) => d.severity === 'error' && /^Invalid value for (input )?variable/i.test(d.summary),
      );
      if (invalid.length === 0) {
        // Not a validation rule: tofu itself could not run here. The run's own tofu says why.
        if (err instanceof BenchError && err.kind === 'interrupted') throw err;
        return;
      }
      const lines = invalid.map((d) => describeInvalid(d, variables, sensitive));
      throw new UsageError(
        'E_VAR_INVALID',
        `the module ${input.moduleDir} refuses ${invalid.length === 1 ? 'a variable' : `${invalid.length} variables`}:\n  ${lines.join('\n  ')}`,
        {
          fix: "give a value the module accepts (--var name=value, or the suite target's `variables:`); `bench plan` shows every variable a run passes",
          data: { diagnostics: invalid.map((d) => d.detail) },
        },
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** "node_count = 0: node_count must be a whole number >= 1." from tofu's diagnostic. */
function describeInvalid(d: TofuDiagnostic, variables: Record<string, unknown>, sensitive: Set<string>): string {
  // tofu's detail is the module's error_message, then where the rule is.
  const message = d.detail.split(/\n\s*\nThis was checked by/)[0]?.trim() ?? d.detail;
  const name = Object.keys(variables).find((n) => new RegExp(`\\b${n}\\b`).test(message));
  const shown =
    name === undefined ? '' : `${name} = ${sensitive.has(name) ? '(sensitive)' : JSON.stringify(variables[name])}: `;
  return `${shown}${message}`;
}

/**
 * A tofu to evaluate validation rules with, before the preflight has chosen the run's: BENCH_TOFU_BIN,
 * the local cloud's pinned one, then `tofu` on PATH. Undefined when there is none: the run's own
 * `tofu apply` then applies the rules.
 */
export function findCheckTofu(env: NodeJS.ProcessEnv): string | undefined {
  const candidates = [env.BENCH_TOFU_BIN, join(sandboxBinDir(env), 'tofu')];
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => d !== '')) candidates.push(join(dir, 'tofu'));
  return candidates.find((c): c is string => c !== undefined && c !== '' && isExecutable(c));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
