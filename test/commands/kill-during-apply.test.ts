import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient, paginateListClusters } from '@aws-sdk/client-eks';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { IAMClient, ListRoleTagsCommand, paginateListRoles } from '@aws-sdk/client-iam';
import { paginateGetResources, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { isTofuAlive } from '../../src/adapters/tofu.ts';
import type { ListResult } from '../../src/engine/list.ts';
import { readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { JOURNAL_FILE, recordedTofus } from '../../src/run/run-dir.ts';
import { sandboxBin } from '../harness/paths.ts';
import { eventually, startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const REGION = 'eu-central-1';
const RUN_TAG = 'bench.dev/run-id';

/**
 * What moto holds tagged with the run id, asked directly (not through the code under test): the
 * Resource Groups Tagging API, and each service the sandbox module creates by its own API.
 */
async function taggedInMoto(sb: TestSandbox, runId: string): Promise<string[]> {
  const config = {
    region: REGION,
    endpoint: sb.env.AWS_ENDPOINT_URL,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const found: string[] = [];
  const tagging = new ResourceGroupsTaggingAPIClient(config);
  const ec2 = new EC2Client(config);
  const eks = new EKSClient(config);
  const iam = new IAMClient({ ...config, region: 'us-east-1' });
  const kms = new KMSClient(config);
  try {
    for await (const page of paginateGetResources(
      { client: tagging },
      { TagFilters: [{ Key: RUN_TAG, Values: [runId] }] },
    )) {
      for (const r of page.ResourceTagMappingList ?? []) {
        const arn = r.ResourceARN ?? '';
        // What AWS keeps listing after its deletion: a deleted NAT gateway (for about an hour) and
        // a KMS key scheduled for deletion (7 days at least); neither is alive.
        const nat = /:natgateway\/(nat-[0-9a-f]+)$/.exec(arn)?.[1];
        if (nat) {
          const state = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [nat] }))).NatGateways?.[0]
            ?.State;
          if (state === 'deleted') continue;
        }
        if (/:kms:.*:key\//.test(arn)) {
          const state = (await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState;
          if (state === 'PendingDeletion') continue;
        }
        found.push(`tagging ${arn}`);
      }
    }
    const filter = [{ Name: `tag:${RUN_TAG}`, Values: [runId] }];
    const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: filter }))).Vpcs ?? [];
    found.push(...vpcs.map((v) => `vpc ${v.VpcId}`));
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: filter }))).Subnets ?? [];
    found.push(...subnets.map((s) => `subnet ${s.SubnetId}`));
    const nats = (await ec2.send(new DescribeNatGatewaysCommand({ Filter: filter }))).NatGateways ?? [];
    // A deleted NAT gateway stays listed for a while as `deleted`, as on AWS.
    found.push(...nats.filter((n) => n.State !== 'deleted').map((n) => `nat-gateway ${n.NatGatewayId}`));
    const eips = (await ec2.send(new DescribeAddressesCommand({ Filters: filter }))).Addresses ?? [];
    found.push(...eips.map((a) => `eip ${a.AllocationId}`));
    const igws = (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: filter }))).InternetGateways ?? [];
    found.push(...igws.map((g) => `internet-gateway ${g.InternetGatewayId}`));
    const routes = (await ec2.send(new DescribeRouteTablesCommand({ Filters: filter }))).RouteTables ?? [];
    found.push(...routes.map((r) => `route-table ${r.RouteTableId}`));
    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter }))).SecurityGroups ?? [];
    found.push(...groups.map((g) => `security-group ${g.GroupId}`));
    for await (const page of paginateListClusters({ client: eks }, {})) {
      for (const name of page.clusters ?? []) {
        const cluster = (await eks.send(new DescribeClusterCommand({ name }))).cluster;
        if (cluster?.tags?.[RUN_TAG] === runId) found.push(`eks-cluster ${name}`);
      }
    }
    for await (const page of paginateListRoles({ client: iam }, {})) {
      for (const role of page.Roles ?? []) {
        const tags = (await iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName }))).Tags ?? [];
        if (tags.some((t) => t.Key === RUN_TAG && t.Value === runId)) found.push(`iam-role ${role.RoleName}`);
      }
    }
  } finally {
    tagging.destroy();
    ec2.destroy();
    eks.destroy();
    iam.destroy();
    kms.destroy();
  }
  return [...new Set(found)].sort();
}

/**
 * A SIGKILL of bench while `tofu apply` runs: tofu, detached from bench with its output in a file,
 * finishes the apply and writes its state; `bench cleanup` waits for it and leaves nothing.
 */
describe('bench killed during tofu apply on the local cloud', { timeout: 900_000 }, () => {
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  const runsDir = tempDir('bench-runs-');

  before(async () => {
    sb = await startTestSandbox({ lbDeletionDelaySeconds: 1 });
    env = {
      BENCH_SANDBOX_DIR: sb.dir,
      BENCH_TOFU_BIN: sandboxBin('tofu'),
      RAMPUP_MINUTES: '',
      ACTIVE_MINUTES: '',
      COOLDOWN_MINUTES: '',
    };
  });
  after(async () => {
    await sb?.stop();
  });

  const journal = (runId: string): JournalRecord[] => readJournal(join(runsDir, runId, JOURNAL_FILE)).records;

  for (const delayMs of [300, 800, 1500]) {
    it(`SIGKILL ${delayMs} ms into the apply: tofu finishes, cleanup waits for it and leaves nothing`, async (t) => {
      const child = spawn(
        process.execPath,
        [
          join(ROOT, 'bin/thyme-bench'),
          'run',
          '--target',
          'sandbox',
          '--runs-dir',
          runsDir,
          '--ramp',
          '3s',
          '--active',
          '3s',
          '--cooldown',
          '3s',
        ],
        { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, signal) => r(signal)));
      const runId = await eventually(
        'the run appears',
        async () =>
          existsSync(runsDir)
            ? readdirSync(runsDir).find((d) => journal(d).some((x) => x.type === 'run-start' && x.pid === child.pid))
            : undefined,
        60_000,
        20,
      );
      const apply = await eventually(
        `tofu apply starts (${output.slice(-500)})`,
        async () => recordedTofus(journal(runId)).find((t) => t.command === 'apply'),
        180_000,
        10,
      );
      // Timed from the record: the journal has the pid before tofu can create anything.
      const wait = Date.parse(apply.t) + delayMs - Date.now();
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      assert.ok(!journal(runId).some((r) => r.type === 'run-end'), 'bench died without a word');

      // tofu did not die with bench (a broken pipe used to kill it within ~0.3 s).
      const binary = sandboxBin('tofu');
      await new Promise((r) => setTimeout(r, 500));
      const aliveAtCleanup = isTofuAlive(apply.pid, binary);
      t.diagnostic(`tofu apply (pid ${apply.pid}) alive when cleanup started: ${aliveAtCleanup}`);
      if (aliveAtCleanup) {
        // bench list says so while it lasts.
        const listed = JSON.parse(
          runCli('bench', ['list', '--json', '--runs-dir', runsDir], { env }).stdout,
        ) as ListResult;
        const run = listed.runs.find((r) => r.runId === runId);
        if (isTofuAlive(apply.pid, binary)) {
          assert.equal(run?.status, 'crashed');
          assert.deepEqual(run?.tofu, { pid: apply.pid, command: 'apply', alive: true });
          assert.match(run?.note ?? '', new RegExp(`tofu apply still running \\(pid ${apply.pid}\\)`));
        }
      }

      const cleanup = runCli('bench', ['cleanup', runId, '--runs-dir', runsDir], { env, timeoutMs: 300_000 });
      assert.equal(cleanup.status, 0, cleanup.stdout + cleanup.stderr.slice(-3000));
      assert.equal(isTofuAlive(apply.pid, binary), false);

      // The orphaned apply finished on its own: its output file ends with the apply's summary.
      const applyOutput = readFileSync(apply.stdout as string, 'utf8')
        .trim()
        .split('\n');
      const lastLine = JSON.parse(applyOutput.at(-1) as string) as { type: string; '@timestamp': string };
      assert.ok(
        applyOutput.some((l) => l.includes('"type":"change_summary"') && l.includes('"operation":"apply"')),
        `the apply ran to its end: ${applyOutput.slice(-3).join('\n')}`,
      );

      const records = journal(runId);
      const destroy = recordedTofus(records).find((t) => t.command === 'destroy');
      assert.ok(destroy, 'cleanup ran tofu destroy');
      if (aliveAtCleanup) {
        // Cleanup waited: its destroy began only after the orphaned apply had written its end.
        assert.ok(
          Date.parse(destroy.t) >= Date.parse(lastLine['@timestamp']),
          `destroy started at ${destroy.t}, before the apply ended at ${lastLine['@timestamp']}`,
        );
      }
      assert.deepEqual(await taggedInMoto(sb, runId), [], 'nothing tagged with the run id is left in moto');
      // The cleanup's output names what it destroyed.
      for (const resource of ['terraform_data.network', 'terraform_data.cluster', 'terraform_data.nodegroup'])
        assert.match(cleanup.stdout + cleanup.stderr, new RegExp(resource.replace('.', '\\.')), cleanup.stdout);
    });
  }
});
