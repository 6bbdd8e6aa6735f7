import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sandboxBin } from '../harness/paths.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { MODULE_OUTPUTS } from '../../src/phases/provision.ts';

// infra/aws cannot be applied here (no AWS, and `tofu init` cannot download the aws provider), so
// it is held to its contract with infra/sandbox, which is applied in sandbox-module.integration.ts, and
// to the settings a reviewer would look for.

const AWS = join(ROOT, 'infra', 'aws');
const SANDBOX = join(ROOT, 'infra', 'sandbox');
const SANDBOX_ONLY = ['api_server_endpoint', 'api_server_ca_data', 'python'];
// The EKS API endpoint's allow-list: the local cloud's API server listens on loopback only.
const AWS_ONLY = ['api_allowed_cidrs'];

/** The .tf files of a module, concatenated, with whole-line comments removed so prose cannot satisfy a check. */
function moduleText(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n')
    .split('\n')
    .filter((line) => !/^\s*(#|\/\/)/.test(line))
    .join('\n');
}

/** The text of every top-level block whose header matches, from its header to its closing brace. */
function blocks(text: string, header: RegExp): string[] {
  const found: string[] = [];
  const re = new RegExp(`^${header.source}\\s*\\{`, 'gm');
  for (const match of text.matchAll(re)) {
    let depth = 0;
    for (let i = match.index + match[0].length - 1; i < text.length; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0) {
        found.push(text.slice(match.index, i + 1));
        break;
      }
    }
  }
  return found;
}

function block(text: string, header: RegExp): string {
  const found = blocks(text, header);
  assert.equal(found.length, 1, `expected one block ${header.source}, found ${found.length}`);
  return found[0]!;
}

function names(text: string, kind: 'variable' | 'output'): string[] {
  return [...text.matchAll(new RegExp(`^${kind} "([^"]+)"`, 'gm'))].map((m) => m[1]!).sort();
}

/** A variable's block less its description, which may say target-specific things. */
function variableSpec(text: string, name: string): string {
  return block(text, new RegExp(`variable "${name}"`))
    .split('\n')
    .filter((line) => !/^\s*description\s*=/.test(line))
    .join('\n');
}

describe('infra/aws', () => {
  const aws = moduleText(AWS);
  const sandbox = moduleText(SANDBOX);

  it('is formatted', () => {
    // The machine's TF_CLI_CONFIG_FILE may name a missing file, which makes tofu warn.
    const cliConfig = join(tempDir('bench-aws-module-'), 'cli.tfrc');
    writeFileSync(cliConfig, '');
    const fmt = spawnSync(sandboxBin('tofu'), ['fmt', '-check', '-recursive', AWS], {
      encoding: 'utf8',
      env: { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: '1' },
    });
    assert.equal(fmt.error, undefined, `tofu could not run: ${fmt.error?.message}`);
    assert.equal(fmt.status, 0, `tofu fmt -check lists files to format:\n${fmt.stdout}${fmt.stderr}`);
  });

  it('takes the variables of infra/sandbox, less the sandbox-only ones, with the same types, defaults and validations', () => {
    const expected = names(sandbox, 'variable').filter((n) => !SANDBOX_ONLY.includes(n));
    assert.deepEqual(
      names(aws, 'variable'),
      [...expected, ...AWS_ONLY].sort(),
    );
    for (const name of expected) {
      assert.equal(variableSpec(aws, name), variableSpec(sandbox, name), `variable "${name}" differs`);
    }
    assert.match(variableSpec(aws, 'kubernetes_version'), /default\s*=\s*"1\.34"/);
    assert.match(variableSpec(aws, 'node_instance_type'), /default\s*=\s*"m6i\.2xlarge"/);
    assert.match(variableSpec(aws, 'node_count'), /default\s*=\s*3\n/);
    assert.match(variableSpec(aws, 'node_disk_size_gb'), /default\s*=\s*100\n/);
    for (const required of ['run_id', 'expires_at', 'cluster_name', 'region']) {
      assert.doesNotMatch(variableSpec(aws, required), /default\s*=/, `${required} is required`);
    }
  });

  it("opens the cluster's public API endpoint to api_allowed_cidrs only, a required list of IPv4 blocks", () => {
    const variable = variableSpec(aws, 'api_allowed_cidrs');
    assert.match(variable, /type\s*=\s*list\(string\)/);
    assert.doesNotMatch(variable, /default\s*=/, 'no default: never open to the world unless asked');
    const vpc = block(block(aws, /resource "aws_eks_cluster" "this"/).replace(/^ {2}/gm, ''), /vpc_config/);
    assert.match(vpc, /endpoint_public_access\s*=\s*true/);
    assert.match(vpc, /public_access_cidrs\s*=\s*var\.api_allowed_cidrs\n/);

    // The variable's own validation, run by tofu on the block as written (no provider needed).
    const dir = tempDir('bench-aws-cidrs-');
    const cliConfig = join(dir, 'cli.tfrc');
    writeFileSync(cliConfig, '');
    writeFileSync(join(dir, 'main.tf'), block(moduleText(AWS), /variable "api_allowed_cidrs"/));
    const plan = (value: unknown) => {
      writeFileSync(join(dir, 'vars.tfvars.json'), JSON.stringify({ api_allowed_cidrs: value }));
      return spawnSync(
        sandboxBin('tofu'),
        [`-chdir=${dir}`, 'plan', '-no-color', '-input=false', `-var-file=${join(dir, 'vars.tfvars.json')}`],
        {
          encoding: 'utf8',
          env: { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_DATA_DIR: join(dir, 'data'), CHECKPOINT_DISABLE: '1' },
        },
      );
    };
    for (const good of [['203.0.113.7/32'], ['198.51.100.0/24', '10.0.0.0/8'], ['0.0.0.0/0']]) {
      const r = plan(good);
      assert.equal(r.status, 0, `${JSON.stringify(good)} is refused:\n${r.stdout}${r.stderr}`);
    }
    for (const bad of [[], ['203.0.113.7/24'], ['203.0.113.7'], ['not-a-cidr'], ['2001:db8::/32']]) {
      const r = plan(bad);
      assert.equal(r.status, 1, `${JSON.stringify(bad)} is accepted`);
      assert.match(r.stderr, /api_allowed_cidrs must be a non-empty list of IPv4 CIDR blocks/);
    }
  });

  it('returns the outputs of infra/sandbox, with the CA data sensitive in both', () => {
    assert.deepEqual(names(aws, 'output'), names(sandbox, 'output'));
    assert.deepEqual(names(aws, 'output'), [...MODULE_OUTPUTS]);
    for (const text of [aws, sandbox]) {
      assert.match(block(text, /output "cluster_certificate_authority_data"/), /sensitive\s*=\s*true/);
    }
    assert.match(block(aws, /output "ecr_repository_url"/), /var\.create_ecr_repository \? .* : ""/);
  });

  it('uses the hashicorp/aws provider alone, tagging everything with the run', () => {
    const terraform = block(aws, /terraform/);
    assert.match(terraform, /required_version\s*=\s*">= 1\.6/);
    assert.match(terraform, /source\s*=\s*"hashicorp\/aws"/);
    assert.match(terraform, /version\s*=\s*"[^"]*(~>|<)[^"]*"/, 'the provider version is pinned to a range');
    assert.doesNotMatch(aws, /^module "/m, 'no terraform-aws-modules');
    assert.doesNotMatch(aws, /^provider "kubernetes"/m);

    const provider = block(aws, /provider "aws"/);
    assert.match(provider, /region\s*=\s*var\.region/);
    const tagsExpr = /default_tags\s*\{\s*tags\s*=\s*local\.(\w+)\s*\}/.exec(provider)?.[1];
    assert.ok(tagsExpr, `default_tags take the module's tags:\n${provider}`);
    const locals = blocks(aws, /locals/).join('\n');
    const tags = new RegExp(`^ {2}${tagsExpr} = merge\\(([\\s\\S]*?)^ {2}\\)`, 'm').exec(locals)?.[1] ?? '';
    // The ownership tags come last in the merge, so var.tags cannot override them.
    const ownership = tags.indexOf('"bench.dev/run-id"');
    assert.ok(ownership > tags.indexOf('var.tags') && tags.indexOf('var.tags') > 0, tags);
    assert.match(tags, /"bench\.dev\/run-id"\s*=\s*var\.run_id/);
    assert.match(tags, /"bench\.dev\/expires-at"\s*=\s*var\.expires_at/);
    assert.match(tags, /"bench\.dev\/managed-by"\s*=\s*"bench"/);
    assert.match(tags, /Project\s*=\s*"bench"/);
  });

  it('tags the subnets for the load balancer controllers', () => {
    assert.match(aws, /"kubernetes\.io\/cluster\/\$\{var\.cluster_name\}"\s*=\s*"shared"/);
    const pub = block(aws, /resource "aws_subnet" "public"/);
    const priv = block(aws, /resource "aws_subnet" "private"/);
    assert.match(pub, /"kubernetes\.io\/role\/elb"\s*=\s*"1"/);
    assert.match(pub, /map_public_ip_on_launch\s*=\s*true/);
    assert.match(priv, /"kubernetes\.io\/role\/internal-elb"\s*=\s*"1"/);
    for (const subnet of [pub, priv]) {
      assert.match(subnet, /count\s*=\s*3/);
      assert.match(subnet, /local\.cluster_tag/);
    }
    assert.match(block(aws, /resource "aws_nat_gateway" "this"/), /count\s*=\s*var\.nat_gateway_ha \? 3 : 1/);
  });

  it('encrypts secrets with a KMS key of its own and grants the caller access through an access entry', () => {
    const cluster = block(aws, /resource "aws_eks_cluster" "this"/);
    assert.match(cluster, /version\s*=\s*var\.kubernetes_version/);
    assert.match(cluster, /encryption_config\s*\{[^}]*resources\s*=\s*\["secrets"\]/);
    assert.match(cluster, /key_arn\s*=\s*aws_kms_key\.secrets\.arn/);
    assert.match(cluster, /authentication_mode\s*=\s*"API_AND_CONFIG_MAP"/);
    assert.match(cluster, /bootstrap_cluster_creator_admin_permissions\s*=\s*false/);
    const key = block(aws, /resource "aws_kms_key" "secrets"/);
    assert.match(key, /enable_key_rotation\s*=\s*true/);
    assert.match(key, /deletion_window_in_days\s*=\s*7/);

    const entry = block(aws, /resource "aws_eks_access_entry" "caller"/);
    assert.match(entry, /principal_arn\s*=\s*data\.aws_iam_session_context\.caller\.issuer_arn/);
    const association = block(aws, /resource "aws_eks_access_policy_association" "caller_admin"/);
    assert.match(association, /cluster-access-policy\/AmazonEKSClusterAdminPolicy"/);
    assert.match(association, /type\s*=\s*"cluster"/);
  });

  it('runs the nodes in private subnets with IMDSv2 required and gp3 root volumes', () => {
    const template = block(aws, /resource "aws_launch_template" "nodes"/);
    assert.match(template, /http_tokens\s*=\s*"required"/);
    assert.match(template, /http_put_response_hop_limit\s*=\s*2/);
    assert.match(template, /device_name\s*=\s*"\/dev\/xvda"/);
    assert.match(template, /volume_type\s*=\s*"gp3"/);
    assert.match(template, /volume_size\s*=\s*var\.node_disk_size_gb/);

    const nodes = block(aws, /resource "aws_eks_node_group" "this"/);
    assert.match(nodes, /subnet_ids\s*=\s*aws_subnet\.private\[\*\]\.id/);
    assert.match(nodes, /id\s*=\s*aws_launch_template\.nodes\.id/);
    assert.match(nodes, /desired_size\s*=\s*var\.node_count/);
    assert.match(nodes, /min_size\s*=\s*var\.node_count/);
    assert.match(nodes, /max_size\s*=\s*var\.node_count \+ 2/);
    assert.match(nodes, /max_unavailable_percentage\s*=\s*33/);
    for (const policy of ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly']) {
      assert.match(aws, new RegExp(`"${policy}"`));
    }
    assert.match(block(aws, /resource "aws_eks_addon" "coredns"/), /depends_on\s*=\s*\[aws_eks_node_group\.this\]/);
  });

  it('makes the ECR repository only on request, and deletable with its images', () => {
    const repository = block(aws, /resource "aws_ecr_repository" "this"/);
    assert.match(repository, /count\s*=\s*var\.create_ecr_repository \? 1 : 0/);
    assert.match(repository, /force_delete\s*=\s*true/);
    assert.match(repository, /scan_on_push\s*=\s*true/);
    assert.match(block(aws, /resource "aws_ecr_lifecycle_policy" "this"/), /countNumber\s*=\s*10/);
  });
});
