import { Args, Flags } from '@oclif/core';
import { BenchCommand } from '../cli/base-command.ts';
import { sandboxDirFlag } from '../cli/sandbox-flag.ts';
import { GRAFANA_LOCAL_PORT, openGrafana } from '../engine/grafana.ts';
import { UsageError } from '../errors.ts';
import { EventBus } from '../run/events.ts';
import { chooseEventStyle, createEventRenderer } from '../ui/events.ts';

/** What `bench grafana --json` prints: never the password. */
export interface GrafanaResult {
  runId: string;
  url: string;
  user: string;
  namespace: string;
  pod: string;
  localPort: number;
  passwordSecret: string | undefined;
}

export default class GrafanaCommand extends BenchCommand {
  static override summary =
    "Open a run's Grafana on a local port: a port-forward through the Kubernetes API, no kubectl.";
  static override description =
    'Works while the run is up: during `bench run`, or after `bench run --keep` until `bench cleanup <run-id>`. Forwards 127.0.0.1:3000 (or a free port when 3000 is taken, or --port) to a Ready Grafana pod of the run, prints the URL and the user, and keeps forwarding until Ctrl-C. The admin password is generated per run and kept only in the cluster; --show-password prints it once to the terminal (never with --json, never into a log or the journal).';
  static override examples = [
    '<%= config.bin %> grafana thyme-20261121-101500-ab12',
    '<%= config.bin %> grafana thyme-20261121-101500-ab12 --show-password',
    '<%= config.bin %> grafana thyme-20261121-101500-ab12 --port 0 --json',
  ];
  static override args = {
    runId: Args.string({ description: 'the run whose Grafana to open (see `bench list`)', required: true }),
  };
  static override flags = {
    'sandbox-dir': sandboxDirFlag,
    port: Flags.integer({ summary: `Local port on 127.0.0.1 (default ${GRAFANA_LOCAL_PORT}; 0: any free port).` }),
    'show-password': Flags.boolean({ summary: 'Print the generated admin password once, to the terminal.' }),
    'runs-dir': Flags.string({ summary: 'Directory of run directories (default: BENCH_RUNS_DIR or .bench/runs).' }),
  };

  async run(): Promise<GrafanaResult | undefined> {
    const { args, flags } = await this.parse(GrafanaCommand);
    // The password goes to a person, not into a pipe, a file or a CI log.
    if (flags['show-password'] && (this.jsonEnabled() || !process.stdout.isTTY)) {
      throw new UsageError('E_PASSWORD_NOT_TERMINAL', '--show-password prints the password to a terminal only', {
        fix: this.jsonEnabled() ? 'drop --json, or drop --show-password' : 'run it in a terminal (stdout is not one)',
      });
    }
    const events = new EventBus();
    events.subscribe(createEventRenderer(chooseEventStyle({ json: this.jsonEnabled() })));
    // Ctrl-C (or SIGTERM) ends the forward; nothing else is running to stop.
    const stop = new AbortController();
    const onSignal = () => stop.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const session = await openGrafana({
        runId: args.runId,
        runsDir: flags['runs-dir'],
        localPort: flags.port,
        showPassword: flags['show-password'],
        events,
        signal: stop.signal,
      });
      const result: GrafanaResult = {
        runId: session.runId,
        url: session.url,
        user: session.user,
        namespace: session.namespace,
        pod: session.pod,
        localPort: session.localPort,
        passwordSecret: session.passwordSecret,
      };
      if (this.jsonEnabled()) this.logJson(result);
      else {
        this.log(`Grafana of ${session.runId}: ${session.url}`);
        this.log(`  user: ${session.user}`);
        if (session.password !== undefined) this.log(`  password: ${session.password}`);
        else if (session.passwordSecret) this.log('  password: add --show-password to see it');
        this.log('Forwarding until Ctrl-C.');
      }
      await new Promise<void>((resolve) => {
        if (stop.signal.aborted) resolve();
        stop.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await session.close();
      // --json already printed the result while the forward was open.
      return this.jsonEnabled() ? undefined : result;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
