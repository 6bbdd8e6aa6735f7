import { Flags } from '@oclif/core';
import { BenchCommand } from '../../cli/base-command.ts';
import { sandboxOwnDirFlag } from '../../cli/sandbox-flag.ts';
import { EventBus } from '../../run/events.ts';
import { startSandbox } from '../../sandbox/start.ts';
import type { SandboxStatus } from '../../sandbox/status.ts';
import { createEventRenderer } from '../../ui/events.ts';
import { withProgress } from '../../ui/progress.ts';
import { formatSandboxStatus } from '../../ui/format.ts';

export default class SandboxUp extends BenchCommand {
  static override summary = 'Start the local cloud: moto, etcd, Kubernetes with kwok nodes, tofu-ready, Prometheus.';
  static override description =
    'Starts every part on 127.0.0.1 with generated certificates and credentials, waits until each serves, and writes a kubeconfig and an environment file that `--target sandbox` uses. Idempotent: a local cloud already up is left as it is. Install the parts first with `bash scripts/setup.sh`.';
  static override examples = [
    '<%= config.bin %> sandbox up',
    '<%= config.bin %> sandbox up --ports auto --json',
    '<%= config.bin %> sandbox up --port-base 20000 --nodes 5',
    'source ~/.cache/bench/sandbox/instance/sandbox.env   # then AWS SDKs and kube clients reach the local cloud',
  ];
  static override flags = {
    'sandbox-dir': sandboxOwnDirFlag,
    ports: Flags.string({
      summary: 'default: fixed ports from 16090; auto: any free ports.',
      options: ['default', 'auto'],
      default: 'default',
      exclusive: ['port-base'],
    }),
    'port-base': Flags.integer({ summary: 'Shift the fixed ports to start at this base (e.g. 20000).' }),
    nodes: Flags.integer({ summary: 'kwok nodes (m6i.2xlarge-sized).', default: 3 }),
    region: Flags.string({ summary: 'Default AWS region of the local cloud.', default: 'eu-central-1' }),
    'lb-deletion-delay': Flags.integer({
      summary: 'Seconds an NLB takes to disappear after its Service is deleted (as on AWS).',
      default: 20,
    }),
    'eni-linger': Flags.integer({
      summary: "Seconds an NLB's network interfaces outlive it (as on AWS, where they go minutes later).",
      default: 30,
      min: 0,
    }),
    'koorde-latency-factor': Flags.string({
      summary: "The simulator's true difference: Koorde latency relative to Chord's (1: none; 0.8: 20% lower).",
      default: '1',
    }),
    'events-json': Flags.boolean({ summary: 'Progress as JSON lines on stderr.' }),
  };

  async run(): Promise<SandboxStatus> {
    const { flags } = await this.parse(SandboxUp);
    const events = new EventBus();
    if (flags['events-json']) events.subscribe(createEventRenderer('json'));
    const progress = { phases: ['sandbox'], events, json: this.jsonEnabled() || flags['events-json'] };
    const status = await withProgress(progress, () =>
      startSandbox({
        dir: flags['sandbox-dir'],
        ports: flags['port-base'] ?? (flags.ports as 'default' | 'auto'),
        nodes: flags.nodes,
        region: flags.region,
        lbDeletionDelaySeconds: flags['lb-deletion-delay'],
        eniLingerSeconds: flags['eni-linger'],
        koordeLatencyFactor: Number(flags['koorde-latency-factor']),
        events,
      }),
    );
    if (!this.jsonEnabled()) this.log(formatSandboxStatus(status));
    return status;
  }
}
