import { Flags } from '@oclif/core';

const summary = 'Directory of the local cloud (default: BENCH_SANDBOX_DIR or ~/.cache/bench/sandbox/instance).';

/**
 * `--sandbox-dir`: the one place every command that reaches the local cloud looks for it. It
 * overrides BENCH_SANDBOX_DIR (which `sandbox.env` exports), which overrides the default;
 * BenchCommand puts the value into BENCH_SANDBOX_DIR so engines and sandbox.env agree on it.
 */
export const sandboxDirFlag = Flags.string({ summary, helpValue: 'DIR' });

/** The same flag for `bench sandbox *`, which also keep their older name `--dir`. */
export const sandboxOwnDirFlag = Flags.string({ summary, helpValue: 'DIR', aliases: ['dir'] });
