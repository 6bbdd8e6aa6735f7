/**
 * The adapter's own view of a cloud resource: what teardown and cleanup list, journal and delete,
 * whichever AWS service it lives in. Shared by the per-service clients beside this file.
 */

/** The kinds of cloud resource teardown and cleanup look at. */
export type OwnedKind =
  | 'elbv2-load-balancer'
  | 'elbv2-target-group'
  | 'eks-nodegroup'
  | 'eks-cluster'
  | 'ec2-nat-gateway'
  | 'ec2-eip'
  | 'ec2-network-interface'
  | 'ec2-security-group'
  | 'ec2-subnet'
  | 'ec2-route-table'
  | 'ec2-internet-gateway'
  | 'ec2-vpc'
  | 'iam-role'
  | 'kms-key'
  | 'ecr-repository';

/** A cloud resource and its tags, as teardown / cleanup see it. */
export interface CloudResource {
  kind: OwnedKind;
  /**
   * ARN for ELBv2 resources; the name for ECR repositories, EKS clusters and IAM roles;
   * `<cluster>/<nodegroup>` for EKS node groups; the EC2 id (vpc-..., eipalloc-...) for EC2; the
   * key id for KMS keys.
   */
  id: string;
  name: string;
  /** Its region; `global` for IAM roles (IAM has no region; they are reported once). */
  region: string;
  tags: Record<string, string>;
  /** The VPC of an EC2 resource that lives in one (an internet gateway: the VPC it is attached to). */
  vpcId?: string;
}

/** Where IAM roles are reported: IAM is global, and a role found from any region is the same role. */
export const GLOBAL_REGION = 'global';

/** Tags as a plain record. */
export type Tags = Record<string, string>;

/** A tag as the SDKs return it. */
export type SdkTag = { Key?: string | undefined; Value?: string | undefined };

/** The SDK's tag list as a record (a missing key or value is the empty string). */
export function tagMap(tags: SdkTag[] | undefined): Tags {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** How a resource is shown: its Name tag, or else its id. */
export function nameOf(tags: Tags, id: string): string {
  return tags.Name || id;
}
