"""Everything moto holds that carries bench.dev/run-id=<run id>, service by service.

Written with boto3 rather than bench's own TypeScript, so that a test asking "is anything of the run
left?" does not ask the code under test: each service the modules create by its own describe calls,
and the Resource Groups Tagging API besides. Prints one JSON list of "kind id (region)" strings.
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
    # (call, its filter parameter, the list in its answer, the id field, the kind reported)
    describes = [
        ("describe_vpcs", "Filters", "Vpcs", "VpcId", "ec2-vpc"),
        ("describe_subnets", "Filters", "Subnets", "SubnetId", "ec2-subnet"),
        ("describe_route_tables", "Filters", "RouteTables", "RouteTableId", "ec2-route-table"),
        ("describe_internet_gateways", "Filters", "InternetGateways", "InternetGatewayId", "ec2-internet-gateway"),
        ("describe_nat_gateways", "Filter", "NatGateways", "NatGatewayId", "ec2-nat-gateway"),
        ("describe_addresses", "Filters", "Addresses", "AllocationId", "ec2-eip"),
        ("describe_security_groups", "Filters", "SecurityGroups", "GroupId", "ec2-security-group"),
        ("describe_network_interfaces", "Filters", "NetworkInterfaces", "NetworkInterfaceId", "ec2-network-interface"),
    ]
    for call, parameter, key, id_field, kind in describes:
        for item in mine(getattr(ec2, call)(**{parameter: by_tag})[key]):
            # A deleted NAT gateway stays listed for a while as `deleted`, as on AWS: it is gone.
            if kind == "ec2-nat-gateway":
                if item["State"] == "deleted":
                    continue
                found.append(f"{kind} {item[id_field]} {item['State']}")
            else:
                found.append(f"{kind} {item[id_field]}")
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
    # The Resource Groups Tagging API as well: whatever it knows tagged with the run, beyond the
    # services asked one by one above.
    tagging = boto3.client("resourcegroupstaggingapi", region_name=region)
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": TAG, "Values": [run_id]}]):
        for mapping in page["ResourceTagMappingList"]:
            arn = mapping["ResourceARN"]
            if is_deleted(ec2, kms, arn):
                continue
            found.append(f"tagging {arn}")
    return [f"{f} ({region})" for f in found]


def is_deleted(ec2, kms, arn):
    """What AWS keeps listing after its deletion: a deleted NAT gateway (for about an hour) and a
    KMS key scheduled for deletion (7 days at least); neither is alive."""
    if ":natgateway/" in arn:
        nat_id = arn.rsplit("/", 1)[-1]
        nats = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
        return not nats or nats[0]["State"] == "deleted"
    if ":kms:" in arn and ":key/" in arn:
        return kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion")
    return False


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
