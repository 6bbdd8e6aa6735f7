/**
 * The SDK clients of one region, made on first use: the SDKs are imported only then, so loading
 * the adapter (e.g. for `bench --help`) loads no AWS SDK. A test may record every request made.
 */
import type * as Ec2Sdk from '@aws-sdk/client-ec2';
import type * as EcrSdk from '@aws-sdk/client-ecr';
import type * as EksSdk from '@aws-sdk/client-eks';
import type * as ElbSdk from '@aws-sdk/client-elastic-load-balancing-v2';
import type * as IamSdk from '@aws-sdk/client-iam';
import type * as KmsSdk from '@aws-sdk/client-kms';
import type * as TaggingSdk from '@aws-sdk/client-resource-groups-tagging-api';
import { awsClientConfig } from '../aws.ts';

/** The clients of one region, and the SDK modules their commands and paginators come from. */
export interface RegionClients {
  elb: ElbSdk.ElasticLoadBalancingV2Client;
  ecr: EcrSdk.ECRClient;
  eks: EksSdk.EKSClient;
  ec2: Ec2Sdk.EC2Client;
  iam: IamSdk.IAMClient;
  kms: KmsSdk.KMSClient;
  tagging: TaggingSdk.ResourceGroupsTaggingAPIClient;
  elbSdk: typeof ElbSdk;
  ecrSdk: typeof EcrSdk;
  eksSdk: typeof EksSdk;
  ec2Sdk: typeof Ec2Sdk;
  iamSdk: typeof IamSdk;
  kmsSdk: typeof KmsSdk;
  taggingSdk: typeof TaggingSdk;
}

/** What the per-service clients need: the adapter's region and its clients per region. */
export interface RegionContext {
  region: string;
  clients: (region: string) => Promise<RegionClients>;
}

/** One AWS request as a test recorder sees it (never credentials: only the command's input). */
export interface AwsRequestRecord {
  service: 'elbv2' | 'ecr' | 'eks' | 'ec2' | 'iam' | 'kms' | 'tagging';
  command: string;
  region: string;
  input: Record<string, unknown>;
}

/** Called with every request made (tests). */
export type RequestRecorder = (request: AwsRequestRecord) => void;

/** One set of clients per region, made on first use; a deletion by ARN goes to the ARN's region. */
export function createClientCache(
  env: NodeJS.ProcessEnv,
  onRequest?: RequestRecorder,
): (region: string) => Promise<RegionClients> {
  const clients = new Map<string, Promise<RegionClients>>();
  return (region) => {
    let c = clients.get(region);
    if (!c) {
      c = loadClients(region, env, onRequest);
      // A failed import must not be cached for ever.
      c.catch(() => clients.delete(region));
      clients.set(region, c);
    }
    return c;
  };
}

/** Imports the SDKs (only now, never at start-up) and makes this region's clients. */
async function loadClients(
  region: string,
  env: NodeJS.ProcessEnv,
  onRequest: RequestRecorder | undefined,
): Promise<RegionClients> {
  const [elbSdk, ecrSdk, eksSdk, ec2Sdk, iamSdk, kmsSdk, taggingSdk] = await Promise.all([
    import('@aws-sdk/client-elastic-load-balancing-v2'),
    import('@aws-sdk/client-ecr'),
    import('@aws-sdk/client-eks'),
    import('@aws-sdk/client-ec2'),
    import('@aws-sdk/client-iam'),
    import('@aws-sdk/client-kms'),
    import('@aws-sdk/client-resource-groups-tagging-api'),
  ]);
  const config = {
    ...awsClientConfig(env, region),
    // No request may hang a teardown for ever.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
  };
  const elb = new elbSdk.ElasticLoadBalancingV2Client(config);
  const ecr = new ecrSdk.ECRClient(config);
  const eks = new eksSdk.EKSClient(config);
  const ec2 = new ec2Sdk.EC2Client(config);
  // IAM is global; its SDK resolves the one endpoint (or AWS_ENDPOINT_URL) from any region.
  const iam = new iamSdk.IAMClient(config);
  const kms = new kmsSdk.KMSClient(config);
  const tagging = new taggingSdk.ResourceGroupsTaggingAPIClient(config);
  if (onRequest) {
    recordRequests(elb, 'elbv2', region, onRequest);
    recordRequests(ecr, 'ecr', region, onRequest);
    recordRequests(eks, 'eks', region, onRequest);
    recordRequests(ec2, 'ec2', region, onRequest);
    recordRequests(iam, 'iam', region, onRequest);
    recordRequests(kms, 'kms', region, onRequest);
    recordRequests(tagging, 'tagging', region, onRequest);
  }
  return { elb, ecr, eks, ec2, iam, kms, tagging, elbSdk, ecrSdk, eksSdk, ec2Sdk, iamSdk, kmsSdk, taggingSdk };
}

/** Adds a middleware that reports each command and its input (the credentials never pass here). */
function recordRequests(
  client: { middlewareStack: { add: (...args: never[]) => void } },
  service: AwsRequestRecord['service'],
  region: string,
  onRequest: RequestRecorder,
): void {
  type Next = (args: { input: Record<string, unknown> }) => Promise<unknown>;
  const middleware = (next: Next, context: { commandName?: string }) => (args: { input: Record<string, unknown> }) => {
    onRequest({ service, command: context.commandName ?? 'unknown', region, input: structuredClone(args.input) });
    return next(args);
  };
  (client.middlewareStack.add as (m: typeof middleware, o: { step: string; name: string }) => void)(middleware, {
    step: 'initialize',
    name: 'benchRecordRequests',
  });
}
