import { Help } from '@oclif/core';

/** Commands whose first argument is the suite (the suite's bin fills it in). */
const SUITE_COMMANDS = new Set(['plan', 'run', 'compare']);
const BIN = '<%= config.bin %>';

/** What `thyme-bench --help` and `koorde-bench --help` show first: each works as printed. */
export const ROOT_EXAMPLES = {
  thyme: [
    `${BIN} plan`,
    `${BIN} run --target sandbox --ramp 20s --active 40s --cooldown 20s   # a whole run on the local cloud`,
    `${BIN} run                                                          # the seed's 5m / 30m / 10m on AWS`,
  ],
  koorde: [
    `${BIN} plan --set nodes=8`,
    `${BIN} run --target sandbox --set nodes=8`,
    `${BIN} compare chord koorde --target sandbox --sizes 4,8 --repeat 2 --ramp 10s --active 30s --cooldown 5s`,
    `${BIN} compare chord koorde                                   # the suite sweep (8, 16, 32), 3 repetitions, on AWS`,
  ],
};

/**
 * Rewrites one of `bench`'s examples for a suite's bin: `bench run thyme --keep` becomes
 * `thyme-bench run --keep`; an example of another suite (`bench run koorde` under thyme-bench,
 * where it would run `thyme` with a stray argument) is dropped (undefined).
 */
export function exampleForSuite(example, suite) {
  if (typeof example !== 'string') {
    const command = exampleForSuite(example.command, suite);
    return command === undefined ? undefined : { ...example, command };
  }
  const text = example.replaceAll(BIN, '\u0000');
  const m = /^((?:[A-Z][A-Z0-9_]*=\S*\s+)*)(\S+)\s+(\S+)(.*)$/s.exec(text);
  if (!m) return example;
  const [, envs, bin, command, rest] = m;
  if (!SUITE_COMMANDS.has(command)) return example;
  let own;
  let args = rest;
  if (bin === 'thyme-bench' || bin === 'koorde-bench') own = bin.slice(0, -'-bench'.length);
  else if (bin === '\u0000' || bin === 'bench') {
    const first = /^\s+(\S+)(.*)$/s.exec(rest);
    if (!first || first[1].startsWith('-') || first[1] === '#') return undefined;
    own = first[1];
    args = first[2];
  } else return example;
  if (own !== suite) return undefined;
  return `${envs}${BIN} ${command}${args}`.replaceAll('\u0000', BIN);
}

/**
 * Help of `thyme-bench` and `koorde-bench`: their own examples, not `bench`'s (which name the
 * suite as the first argument, which these bins fill in).
 */
export default class SuiteHelp extends Help {
  get suite() {
    return this.config.pjson.oclif.benchSuite;
  }

  async showRootHelp() {
    await super.showRootHelp();
    const examples = ROOT_EXAMPLES[this.suite] ?? [];
    if (examples.length === 0) return;
    const body = examples.map((e) => `$ ${this.render(e)}`).join('\n\n');
    this.log(this.section('EXAMPLES', body));
    this.log('');
  }

  formatCommand(command) {
    const examples = (command.examples ?? []).map((e) => exampleForSuite(e, this.suite)).filter((e) => e !== undefined);
    return super.formatCommand({ ...command, examples });
  }
}
