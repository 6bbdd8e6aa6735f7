import { UsageError } from '../errors.ts';
import { parseDuration } from '../util/duration.ts';
import { PHASES, type PhaseName, type Suite } from './schema.ts';

/** Phase durations in seconds, in lifecycle order. */
export type PhaseDurations = Record<PhaseName, number>;

/** Duration overrides as the user wrote them (flags), before parsing. */
export type PhaseDurationFlags = Partial<Record<PhaseName, string>>;

/**
 * The phase durations of a run: a flag wins, then the seed scripts' environment variables
 * (RAMPUP_MINUTES, ACTIVE_MINUTES, COOLDOWN_MINUTES), then the suite. 0 skips a phase.
 */
export function resolvePhaseDurations(
  suite: Suite,
  flags: PhaseDurationFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): PhaseDurations {
  const envNames: Record<PhaseName, string> = {
    ramp: 'RAMPUP_MINUTES',
    active: 'ACTIVE_MINUTES',
    cooldown: 'COOLDOWN_MINUTES',
  };
  const out = {} as PhaseDurations;
  for (const phase of PHASES) {
    const flag = flags[phase];
    const fromEnv = env[envNames[phase]];
    if (flag !== undefined) {
      out[phase] = parseDuration(flag, `--${phase}`);
    } else if (fromEnv !== undefined && fromEnv !== '') {
      const minutes = Number(fromEnv);
      if (!Number.isFinite(minutes) || minutes < 0 || fromEnv.trim() === '') {
        throw new UsageError('E_DURATION', `${envNames[phase]}=${fromEnv} is not a number of minutes`, {
          fix: `set ${envNames[phase]} to a non-negative number (minutes), or unset it`,
        });
      }
      out[phase] = minutes * 60;
    } else {
      out[phase] = suite.phases[phase].duration;
    }
  }
  if (out.active === 0) {
    throw new UsageError('E_DURATION', 'the active phase cannot be 0: nothing would be measured', {
      fix: 'give --active a positive duration, e.g. --active 30m',
    });
  }
  return out;
}
