/**
 * The time of each step of `npm test` on this machine: the build (when stale), the type check, lint,
 * and the unit, integration and end-to-end tiers, each by its own command. With --together the two
 * tiers on the local cloud run as `npm test` runs them, in one test run side by side
 * (`test:local-cloud`), which is what `npm test` takes. Not a test: it prints the figures the README
 * states, with the machine's core count, against the goal of 8 minutes in all, and side by side
 * with an earlier measurement when given one.
 *
 * Run: node bench/test-tiers.ts [--together] [--out figures.json] [--vs earlier.json] [--only unit,lint]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

const STEPS = [
  { name: 'build', command: ['bash', 'scripts/build-if-stale.sh'] },
  { name: 'typecheck', command: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'lint', command: ['npm', 'run', '--silent', 'lint'] },
  { name: 'unit', command: ['npm', 'run', '--silent', 'test:unit'] },
  { name: 'integration', command: ['npm', 'run', '--silent', 'test:integration'] },
  { name: 'e2e', command: ['npm', 'run', '--silent', 'test:e2e'] },
  { name: 'local-cloud', command: ['npm', 'run', '--silent', 'test:local-cloud'] },
] as const;

/** The goal for all of `npm test` (issue 13), in seconds. */
const GOAL_SECONDS = 8 * 60;

interface Figure {
  step: string;
  seconds: number;
  ok: boolean;
}

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    vs: { type: 'string' },
    only: { type: 'string' },
    together: { type: 'boolean', default: false },
  },
});
const only =
  values.only?.split(',') ??
  (values.together
    ? ['build', 'typecheck', 'lint', 'unit', 'local-cloud']
    : ['build', 'typecheck', 'lint', 'unit', 'integration', 'e2e']);
const earlier: Figure[] = values.vs
  ? (JSON.parse(readFileSync(values.vs, 'utf8')) as { figures: Figure[] }).figures
  : [];

const figures: Figure[] = [];
for (const step of STEPS) {
  if (!only.includes(step.name)) continue;
  const started = process.hrtime.bigint();
  const result = spawnSync(step.command[0], step.command.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  figures.push({ step: step.name, seconds, ok: result.status === 0 });
  console.error(`${step.name}: ${seconds.toFixed(1)} s${result.status === 0 ? '' : ` (exit ${result.status})`}`);
}

const total = figures.reduce((sum, f) => sum + f.seconds, 0);
const rows = [...figures, { step: 'total', seconds: total, ok: figures.every((f) => f.ok) }];
console.log(`npm test, step by step, on ${availableParallelism()} cores (goal: ${GOAL_SECONDS / 60} min in all)`);
console.log(`${'step'.padEnd(12)} ${'seconds'.padStart(8)} ${'earlier'.padStart(8)} ${'ratio'.padStart(6)}  result`);
for (const row of rows) {
  const before =
    row.step === 'total'
      ? earlier.reduce((sum, f) => sum + f.seconds, 0)
      : earlier.find((f) => f.step === row.step)?.seconds;
  const ratio = before ? (row.seconds / before).toFixed(2) : '';
  console.log(
    `${row.step.padEnd(12)} ${row.seconds.toFixed(1).padStart(8)} ${(before ? before.toFixed(1) : '').padStart(8)} ${ratio.padStart(6)}  ${row.ok ? 'pass' : 'FAIL'}`,
  );
}
if (!values.only) console.log(`total / goal: ${(total / GOAL_SECONDS).toFixed(2)}`);
if (values.out) writeFileSync(values.out, JSON.stringify({ cores: availableParallelism(), figures }, null, 2) + '\n');
process.exitCode = figures.every((f) => f.ok) ? 0 : 1;
