"""Everything moto holds that carries bench.dev/run-id=<run id>, service by service.

Written with boto3 rather than bench's own TypeScript, so that a test asking "is anything of the run
left?" does not ask the code under test. Prints one JSON list of "kind id (region)" strings.
Usage: python moto_inventory.py <run-id> <region>...   (AWS_ENDPOINT_URL points at moto)
"""

import json
import sys

import boto3

TAG = "bench.dev/run-id"


def tagged(tags, run_id):
    for t in tags or []:
        if t.get("Key", t.get("TagKey")) == TAG and t.get("Value", t.get("TagValue")) == run_id:
            return True
    return False


def inventory(run_id, region):
    found = []
    ec2 = boto3.client("ec2", region_name=region)
    by_tag = [{"Name": f"tag:{TAG}", "Values": [run_id]}]

    def mine(items):
        return [i for i in items if tagged(i.get("Tags", i.get("TagSet")), run_id)]

    # The tag filter narrows; the tags themselves decide (moto ignores some filters, e.g. on NAT gateways).
    for vpc in mine(ec2.describe_vpcs(Filters=by_tag)["Vpcs"]):
        found.append(f"ec2-vpc {vpc['VpcId']}")
    for s in mine(ec2.describe_subnets(Filters=by_tag)["Subnets"]):
        found.append(f"ec2-subnet {s['SubnetId']}")
    for rt in mine(ec2.describe_route_tables(Filters=by_tag)["RouteTables"]):
        found.append(f"ec2-route-table {rt['RouteTableId']}")
    for igw in mine(ec2.describe_internet_gateways(Filters=by_tag)["InternetGateways"]):
        found.append(f"ec2-internet-gateway {igw['InternetGatewayId']}")
    for nat in mine(ec2.describe_nat_gateways(Filters=by_tag)["NatGateways"]):
        if nat["State"] not in ("deleted",):
            found.append(f"ec2-nat-gateway {nat['NatGatewayId']} {nat['State']}")
    for a in mine(ec2.describe_addresses(Filters=by_tag)["Addresses"]):
        found.append(f"ec2-eip {a['AllocationId']}")
    for sg in mine(ec2.describe_security_groups(Filters=by_tag)["SecurityGroups"]):
        found.append(f"ec2-security-group {sg['GroupId']}")
    for eni in mine(ec2.describe_network_interfaces(Filters=by_tag)["NetworkInterfaces"]):
        found.append(f"ec2-network-interface {eni['NetworkInterfaceId']}")
    elb = boto3.client("elbv2", region_name=region)
    arns = [lb["LoadBalancerArn"] for lb in elb.describe_load_balancers()["LoadBalancers"]]
    arns += [tg["TargetGroupArn"] for tg in elb.describe_target_groups()["TargetGroups"]]
    for i in range(0, len(arns), 20):
        for d in elb.describe_tags(ResourceArns=arns[i : i + 20])["TagDescriptions"]:
            if tagged(d.get("Tags"), run_id):
                found.append(f"elbv2 {d['ResourceArn']}")
    eks = boto3.client("eks", region_name=region)
    for name in eks.list_clusters()["clusters"]:
        c = eks.describe_cluster(name=name)["cluster"]
        if c.get("tags", {}).get(TAG) == run_id:
            found.append(f"eks-cluster {name}")
    ecr = boto3.client("ecr", region_name=region)
    for r in ecr.describe_repositories()["repositories"]:
        if tagged(ecr.list_tags_for_resource(resourceArn=r["repositoryArn"])["tags"], run_id):
            found.append(f"ecr-repository {r['repositoryName']}")
    kms = boto3.client("kms", region_name=region)
    for k in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
        # A key scheduled for deletion is as gone as AWS lets a key be (7 days at least).
        if meta["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
            continue
        if tagged(kms.list_resource_tags(KeyId=k["KeyId"])["Tags"], run_id):
            found.append(f"kms-key {k['KeyId']}")
    return [f"{f} ({region})" for f in found]


def iam_roles(run_id):
    iam = boto3.client("iam", region_name="us-east-1")
    found = []
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if tagged(iam.list_role_tags(RoleName=role["RoleName"])["Tags"], run_id):
                found.append(f"iam-role {role['RoleName']} (global)")
    return found


def main(argv):
    run_id, regions = argv[1], argv[2:]
    found = iam_roles(run_id)
    for region in regions:
        found += inventory(run_id, region)
    print(json.dumps(sorted(found)))


if __name__ == "__main__":
    main(sys.argv)
