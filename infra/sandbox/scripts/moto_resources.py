#!/usr/bin/env python3
"""Creates and destroys in moto what infra/aws creates in AWS, one part at a time.

Called by the local-exec provisioners of infra/sandbox:

    moto_resources.py create|destroy --region REGION network|cluster|nodegroup|ecr

The part's settings come as JSON in BENCH_SANDBOX_SPEC (written by the module). The AWS
endpoint must come from AWS_ENDPOINT_URL: without it boto3 would talk to real AWS, which this
script refuses to do.

Both directions are idempotent, so a retry after a partial apply or a failed destroy picks up
where the last attempt stopped: resources are found by the run-id tag (and the cluster name),
only what is missing is created, and only what carries this run's tag is deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Callable

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

RUN_TAG = "bench.dev/run-id"
# moto answers at once; the deadlines only matter if a part ever reports a pending state.
WAIT_SECONDS = 300
POLL_SECONDS = 1.0

EKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
CLUSTER_POLICIES = ["AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"]
NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]


class Failure(Exception):
    """An error for the user: printed as one line, without a traceback."""


class DependencyViolation(Failure):
    pass


def log(message: str) -> None:
    print(message, flush=True)


def wait_for(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {WAIT_SECONDS}s waiting for {what}")
        time.sleep(POLL_SECONDS)


def error_code(err: ClientError) -> str:
    return err.response.get("Error", {}).get("Code", "")


class Moto:
    def __init__(self, region: str, spec: dict[str, Any]) -> None:
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        if not endpoint:
            raise Failure(
                "AWS_ENDPOINT_URL is not set: infra/sandbox only talks to the local cloud (moto); "
                "set it to the moto server's URL"
            )
        config = Config(region_name=region, retries={"max_attempts": 3, "mode": "standard"})
        session = boto3.session.Session()
        self.ec2 = session.client("ec2", endpoint_url=endpoint, config=config)
        self.eks = session.client("eks", endpoint_url=endpoint, config=config)
        self.iam = session.client("iam", endpoint_url=endpoint, config=config)
        self.kms = session.client("kms", endpoint_url=endpoint, config=config)
        self.ecr = session.client("ecr", endpoint_url=endpoint, config=config)
        self.elbv2 = session.client("elbv2", endpoint_url=endpoint, config=config)
        self.spec = spec
        self.cluster = spec["cluster_name"]
        self.run_id = spec["run_id"]
        self.tags: dict[str, str] = spec["tags"]

    # Tags, in the three shapes AWS uses.

    def tag_map(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**self.tags, "Name": name, **(extra or {})}

    def tag_list(self, name: str, extra: dict[str, str] | None = None) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in self.tag_map(name, extra).items()]

    def tag_spec(self, resource_type: str, name: str, extra: dict[str, str] | None = None) -> list[dict[str, Any]]:
        return [{"ResourceType": resource_type, "Tags": self.tag_list(name, extra)}]

    def ours(self, tags: Any) -> bool:
        """Whether a tag list or map carries this run's tag."""
        if isinstance(tags, dict):
            return tags.get(RUN_TAG) == self.run_id
        return any(
            t.get("Key", t.get("TagKey")) == RUN_TAG and t.get("Value", t.get("TagValue")) == self.run_id
            for t in tags or []
        )

    def run_filter(self, *more: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"Name": f"tag:{RUN_TAG}", "Values": [self.run_id]}, *more]

    def owned(self, items: list[dict[str, Any]], name: str | None = None) -> list[dict[str, Any]]:
        """The EC2 items that carry this run's tag (and the Name tag, if given).

        The server-side tag filters are kept for AWS, but not trusted: moto 5.2 ignores tag
        filters in DescribeNatGateways and would hand back every run's NAT gateways.
        """
        return [
            item
            for item in items
            if self.ours(item.get("Tags"))
            and (name is None or any(t["Key"] == "Name" and t["Value"] == name for t in item.get("Tags", [])))
        ]

    # ---------------------------------------------------------------- network

    def find_vpc(self) -> str | None:
        name = f"{self.cluster}-vpc"
        vpcs = self.owned(
            self.ec2.describe_vpcs(Filters=self.run_filter({"Name": "tag:Name", "Values": [name]}))["Vpcs"], name
        )
        return vpcs[0]["VpcId"] if vpcs else None

    def create_network(self) -> None:
        spec = self.spec
        vpc_id = self.find_vpc()
        if vpc_id is None:
            vpc_id = self.ec2.create_vpc(
                CidrBlock=spec["vpc_cidr"], TagSpecifications=self.tag_spec("vpc", f"{self.cluster}-vpc")
            )["Vpc"]["VpcId"]
            log(f"created VPC {vpc_id} ({spec['vpc_cidr']})")
        else:
            log(f"VPC {vpc_id} exists")
        # EKS nodes need DNS hostnames in the VPC.
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})

        igw_name = f"{self.cluster}-igw"
        igws = self.owned(
            self.ec2.describe_internet_gateways(Filters=self.run_filter({"Name": "tag:Name", "Values": [igw_name]}))[
                "InternetGateways"
            ],
            igw_name,
        )
        if igws:
            igw_id = igws[0]["InternetGatewayId"]
        else:
            igw_id = self.ec2.create_internet_gateway(TagSpecifications=self.tag_spec("internet-gateway", igw_name))[
                "InternetGateway"
            ]["InternetGatewayId"]
            log(f"created internet gateway {igw_id}")
            igws = [{"Attachments": []}]
        if not any(a.get("VpcId") == vpc_id for a in igws[0].get("Attachments", [])):
            self.ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)

        cluster_tag = {f"kubernetes.io/cluster/{self.cluster}": "shared"}
        public = [
            self.ensure_subnet(
                vpc_id, f"{self.cluster}-public-{s['zone']}", s, {**cluster_tag, "kubernetes.io/role/elb": "1"}
            )
            for s in spec["public_subnets"]
        ]
        private = [
            self.ensure_subnet(
                vpc_id,
                f"{self.cluster}-private-{s['zone']}",
                s,
                {**cluster_tag, "kubernetes.io/role/internal-elb": "1"},
            )
            for s in spec["private_subnets"]
        ]
        for subnet_id in public:
            self.ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})

        public_rt = self.ensure_route_table(vpc_id, f"{self.cluster}-public", {"GatewayId": igw_id})
        for subnet_id in public:
            self.ensure_association(public_rt, subnet_id)

        zones = [s["zone"] for s in spec["public_subnets"]]
        nat_count = len(zones) if spec["nat_gateway_ha"] else 1
        nats = [self.ensure_nat(zones[i], public[i]) for i in range(nat_count)]
        for i, subnet_id in enumerate(private):
            rt = self.ensure_route_table(
                vpc_id, f"{self.cluster}-private-{zones[i]}", {"NatGatewayId": nats[i % nat_count]}
            )
            self.ensure_association(rt, subnet_id)
        log(
            f"network ready: VPC {vpc_id}, public subnets {', '.join(public)}, "
            f"private subnets {', '.join(private)}, NAT gateways {', '.join(nats)}"
        )

    def ensure_subnet(self, vpc_id: str, name: str, subnet: dict[str, str], extra: dict[str, str]) -> str:
        found = self.ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "cidr-block", "Values": [subnet["cidr"]]}]
        )["Subnets"]
        if found:
            if not self.ours(found[0].get("Tags")):
                raise Failure(
                    f"subnet {found[0]['SubnetId']} ({subnet['cidr']}) in VPC {vpc_id} "
                    f"is not tagged {RUN_TAG}={self.run_id}"
                )
            return found[0]["SubnetId"]
        subnet_id = self.ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=subnet["cidr"],
            AvailabilityZone=subnet["zone"],
            TagSpecifications=self.tag_spec("subnet", name, extra),
        )["Subnet"]["SubnetId"]
        log(f"created subnet {subnet_id} {name} ({subnet['cidr']})")
        return subnet_id

    def ensure_route_table(self, vpc_id: str, name: str, target: dict[str, str]) -> str:
        found = self.owned(
            self.ec2.describe_route_tables(
                Filters=self.run_filter({"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Name", "Values": [name]})
            )["RouteTables"],
            name,
        )
        if found:
            rt_id = found[0]["RouteTableId"]
            routes = found[0].get("Routes", [])
        else:
            rt_id = self.ec2.create_route_table(VpcId=vpc_id, TagSpecifications=self.tag_spec("route-table", name))[
                "RouteTable"
            ]["RouteTableId"]
            log(f"created route table {rt_id} {name}")
            routes = []
        default = next((r for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0"), None)
        if default is None:
            self.ec2.create_route(RouteTableId=rt_id, DestinationCidrBlock="0.0.0.0/0", **target)
        elif not all(default.get(k) == v for k, v in target.items()):
            self.ec2.replace_route(RouteTableId=rt_id, DestinationCidrBlock="0.0.0.0/0", **target)
        return rt_id

    def ensure_association(self, rt_id: str, subnet_id: str) -> None:
        found = self.ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])[
            "RouteTables"
        ]
        for rt in found:
            for assoc in rt.get("Associations", []):
                if assoc.get("SubnetId") != subnet_id:
                    continue
                if rt["RouteTableId"] == rt_id:
                    return
                self.ec2.replace_route_table_association(
                    AssociationId=assoc["RouteTableAssociationId"], RouteTableId=rt_id
                )
                return
        self.ec2.associate_route_table(RouteTableId=rt_id, SubnetId=subnet_id)

    def ensure_nat(self, zone: str, subnet_id: str) -> str:
        name = f"{self.cluster}-nat-{zone}"
        live = self.owned(self.live_nats(self.run_filter({"Name": "tag:Name", "Values": [name]})), name)
        if live:
            nat_id = live[0]["NatGatewayId"]
        else:
            eips = self.owned(
                self.ec2.describe_addresses(Filters=self.run_filter({"Name": "tag:Name", "Values": [name]}))[
                    "Addresses"
                ],
                name,
            )
            free = [a for a in eips if not a.get("AssociationId")]
            if free:
                allocation_id = free[0]["AllocationId"]
            else:
                allocation_id = self.ec2.allocate_address(
                    Domain="vpc", TagSpecifications=self.tag_spec("elastic-ip", name)
                )["AllocationId"]
                log(f"allocated Elastic IP {allocation_id} for {name}")
            nat_id = self.ec2.create_nat_gateway(
                SubnetId=subnet_id, AllocationId=allocation_id, TagSpecifications=self.tag_spec("natgateway", name)
            )["NatGateway"]["NatGatewayId"]
            log(f"created NAT gateway {nat_id} in {zone}")
        wait_for(f"NAT gateway {nat_id} to become available", lambda: self.nat_state(nat_id) == "available")
        return nat_id

    def live_nats(self, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Deleted NAT gateways stay visible for a while, in AWS and in moto alike.
        states = {"Name": "state", "Values": ["pending", "available"]}
        return self.ec2.describe_nat_gateways(Filters=[*filters, states])["NatGateways"]

    def nat_state(self, nat_id: str) -> str:
        nats = self.ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
        state = nats[0]["State"] if nats else "deleted"
        if state == "failed":
            raise Failure(f"NAT gateway {nat_id} failed: {nats[0].get('FailureMessage', 'no reason given')}")
        return state

    def destroy_network(self) -> None:
        vpc_id = self.find_vpc()
        if vpc_id is not None:
            self.refuse_while_load_balancers(vpc_id)
            self.refuse_while_interfaces_or_groups(vpc_id)
            in_vpc = {"Name": "vpc-id", "Values": [vpc_id]}
            for nat in self.owned(self.live_nats(self.run_filter(in_vpc))):
                self.ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
                log(f"deleting NAT gateway {nat['NatGatewayId']}")
            for nat_id in [
                n["NatGatewayId"]
                for n in self.owned(self.ec2.describe_nat_gateways(Filters=self.run_filter(in_vpc))["NatGateways"])
            ]:
                wait_for(
                    f"NAT gateway {nat_id} to be deleted", lambda nat_id=nat_id: self.nat_state(nat_id) == "deleted"
                )
            # AWS removes a NAT gateway's interface with it; moto 5.2 keeps it: removed here, so the
            # local cloud holds what AWS would.
            for eni_id in self.nat_interfaces(vpc_id):
                try:
                    self.ec2.delete_network_interface(NetworkInterfaceId=eni_id)
                except ClientError as err:
                    if error_code(err) != "InvalidNetworkInterfaceID.NotFound":
                        raise
        # Elastic IPs outlive a VPC, so they are swept even when the VPC is already gone.
        for address in self.owned(self.ec2.describe_addresses(Filters=self.run_filter())["Addresses"]):
            if address.get("AssociationId"):
                self.ec2.disassociate_address(AssociationId=address["AssociationId"])
            self.ec2.release_address(AllocationId=address["AllocationId"])
            log(f"released Elastic IP {address['AllocationId']}")
        if vpc_id is None:
            log("no VPC of this run left")
            return
        in_vpc = {"Name": "vpc-id", "Values": [vpc_id]}
        for rt in self.owned(self.ec2.describe_route_tables(Filters=self.run_filter(in_vpc))["RouteTables"]):
            for assoc in rt.get("Associations", []):
                if not assoc.get("Main"):
                    self.ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
            self.ec2.delete_route_table(RouteTableId=rt["RouteTableId"])
            log(f"deleted route table {rt['RouteTableId']}")
        for igw in self.owned(self.ec2.describe_internet_gateways(Filters=self.run_filter())["InternetGateways"]):
            for attachment in igw.get("Attachments", []):
                self.ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=attachment["VpcId"])
            self.ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
            log(f"deleted internet gateway {igw['InternetGatewayId']}")
        for subnet in self.owned(self.ec2.describe_subnets(Filters=self.run_filter(in_vpc))["Subnets"]):
            self.ec2.delete_subnet(SubnetId=subnet["SubnetId"])
            log(f"deleted subnet {subnet['SubnetId']}")
        self.ec2.delete_vpc(VpcId=vpc_id)
        log(f"deleted VPC {vpc_id}")

    def refuse_while_load_balancers(self, vpc_id: str) -> None:
        """Fails the way AWS does when a load balancer still has interfaces in the VPC.

        moto lets subnets and VPCs go while an ELBv2 load balancer sits in them; AWS does not
        (DependencyViolation, or a delete that hangs for many minutes), and the teardown order
        exists to avoid exactly that, so the sandbox must not be more lenient than AWS.
        """
        cluster_tag = f"kubernetes.io/cluster/{self.cluster}"
        balancers = [
            lb
            for page in self.elbv2.get_paginator("describe_load_balancers").paginate()
            for lb in page["LoadBalancers"]
        ]
        blocking = [lb for lb in balancers if lb.get("VpcId") == vpc_id]
        others = [lb for lb in balancers if lb.get("VpcId") != vpc_id]
        for i in range(0, len(others), 20):
            chunk = others[i : i + 20]
            descriptions = self.elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"] for lb in chunk])[
                "TagDescriptions"
            ]
            tagged = {d["ResourceArn"] for d in descriptions if any(t["Key"] == cluster_tag for t in d.get("Tags", []))}
            blocking += [lb for lb in chunk if lb["LoadBalancerArn"] in tagged]
        if blocking:
            names = ", ".join(lb["LoadBalancerName"] for lb in blocking)
            raise DependencyViolation(
                f"DependencyViolation: The vpc '{vpc_id}' has dependencies and cannot be deleted "
                f"(load balancer {names} still uses its subnets)"
            )

    def nat_interfaces(self, vpc_id: str) -> set[str]:
        """The interfaces of the VPC's NAT gateways, in any state (AWS manages them with the gateway)."""
        nats = self.ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
        return {
            address["NetworkInterfaceId"]
            for nat in nats
            if nat.get("VpcId") == vpc_id
            for address in nat.get("NatGatewayAddresses", [])
            if address.get("NetworkInterfaceId")
        }

    def refuse_while_interfaces_or_groups(self, vpc_id: str) -> None:
        """Fails the way AWS does while a network interface or a security group is left in the VPC.

        An NLB's interfaces (`ELB net/<name>/<id>`) outlive it for minutes on AWS, and the AWS Load
        Balancer Controller's security groups (tagged elbv2.k8s.aws/cluster) stay when nobody deletes
        them: either makes AWS refuse the subnets and the VPC (DependencyViolation). moto does not
        check, so the local cloud does it here; the teardown must wait for the interfaces and delete
        the groups before destroying. The module itself makes neither (the NAT gateways' interfaces
        are AWS's, deleted with them).
        """
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        nat_enis = self.nat_interfaces(vpc_id)
        interfaces = [
            eni
            for page in self.ec2.get_paginator("describe_network_interfaces").paginate(Filters=in_vpc)
            for eni in page["NetworkInterfaces"]
            if eni.get("VpcId") == vpc_id and eni["NetworkInterfaceId"] not in nat_enis
        ]
        groups = [
            sg
            for page in self.ec2.get_paginator("describe_security_groups").paginate(Filters=in_vpc)
            for sg in page["SecurityGroups"]
            if sg.get("VpcId") == vpc_id and sg.get("GroupName") != "default"
        ]
        if interfaces or groups:
            what = [f"network interface {e['NetworkInterfaceId']} ({e.get('Description') or 'no description'})" for e in interfaces]
            what += [f"security group {g['GroupId']} ({g.get('GroupName')})" for g in groups]
            raise DependencyViolation(
                f"DependencyViolation: The vpc '{vpc_id}' has dependencies and cannot be deleted ({', '.join(what)})"
            )

    # ------------------------------------------------------------- IAM, KMS

    def ensure_role(self, name: str, trust: dict[str, Any], policies: list[str]) -> str:
        try:
            role = self.iam.get_role(RoleName=name)["Role"]
            tags = self.iam.list_role_tags(RoleName=name)["Tags"]
            if not self.ours(tags):
                raise Failure(f"IAM role {name} exists but belongs to another run (no {RUN_TAG}={self.run_id} tag)")
        except ClientError as err:
            if error_code(err) != "NoSuchEntity":
                raise
            role = self.iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Tags=self.tag_list(name)
            )["Role"]
            log(f"created IAM role {name}")
        attached = {p["PolicyName"] for p in self.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
        for policy in policies:
            if policy in attached:
                continue
            try:
                self.iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
            except ClientError as err:
                if error_code(err) != "NoSuchEntity":
                    raise
                # moto only knows AWS managed policies when started with
                # MOTO_IAM_LOAD_MANAGED_POLICIES=true; nothing in moto enforces them anyway.
                log(f"moto has no AWS managed policy {policy}; not attached to {name}")
        return role["Arn"]

    def delete_role(self, name: str) -> None:
        try:
            tags = self.iam.list_role_tags(RoleName=name)["Tags"]
        except ClientError as err:
            if error_code(err) == "NoSuchEntity":
                return
            raise
        if not self.ours(tags):
            log(f"IAM role {name} belongs to another run; left alone")
            return
        for policy in self.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            self.iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
        for policy_name in self.iam.list_role_policies(RoleName=name)["PolicyNames"]:
            self.iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        for profile in self.iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]:
            self.iam.remove_role_from_instance_profile(
                InstanceProfileName=profile["InstanceProfileName"], RoleName=name
            )
        self.iam.delete_role(RoleName=name)
        log(f"deleted IAM role {name}")

    def find_keys(self, name: str) -> list[str]:
        """Key ids of this run's live secrets keys (keys pending deletion are gone for our purposes)."""
        found = []
        for page in self.kms.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                meta = self.kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
                if meta.get("KeyManager") == "AWS" or meta["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
                    continue
                tags = self.kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
                if self.ours(tags) and any(t["TagKey"] == "Name" and t["TagValue"] == name for t in tags):
                    found.append(key["KeyId"])
        return found

    # ---------------------------------------------------------------- cluster

    def subnet_ids(self, kind: str) -> list[str]:
        vpc_id = self.find_vpc()
        if vpc_id is None:
            raise Failure(f"no VPC tagged {RUN_TAG}={self.run_id}: create the network first")
        subnets = [
            s
            for s in self.owned(
                self.ec2.describe_subnets(
                    Filters=self.run_filter(
                        {"Name": "vpc-id", "Values": [vpc_id]},
                        {"Name": f"tag:kubernetes.io/role/{kind}", "Values": ["1"]},
                    )
                )["Subnets"]
            )
            if any(t["Key"] == f"kubernetes.io/role/{kind}" and t["Value"] == "1" for t in s.get("Tags", []))
        ]
        if len(subnets) != 3:
            raise Failure(f"expected 3 {kind} subnets in VPC {vpc_id}, found {len(subnets)}: apply the network again")
        return [s["SubnetId"] for s in sorted(subnets, key=lambda s: s["AvailabilityZone"])]

    def describe_cluster(self) -> dict[str, Any] | None:
        try:
            return self.eks.describe_cluster(name=self.cluster)["cluster"]
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                return None
            raise

    def create_cluster(self) -> None:
        spec = self.spec
        cluster = self.describe_cluster()
        if cluster is not None:
            if not self.ours(cluster.get("tags", {})):
                raise Failure(
                    f"EKS cluster {self.cluster} exists but belongs to another run (no {RUN_TAG}={self.run_id} tag)"
                )
            if cluster["status"] in ("DELETING", "FAILED"):
                raise Failure(f"EKS cluster {self.cluster} is {cluster['status']}; destroy and apply again")
            log(f"EKS cluster {self.cluster} exists ({cluster['status']})")
        else:
            role_arn = self.ensure_role(spec["role_name"], EKS_TRUST, CLUSTER_POLICIES)
            key_name = f"{self.cluster}-eks-secrets"
            keys = self.find_keys(key_name)
            if keys:
                key_arn = self.kms.describe_key(KeyId=keys[0])["KeyMetadata"]["Arn"]
            else:
                key_arn = self.kms.create_key(
                    Description=f"EKS secrets encryption for {self.cluster}",
                    Tags=[{"TagKey": k, "TagValue": v} for k, v in self.tag_map(key_name).items()],
                )["KeyMetadata"]["Arn"]
                log(f"created KMS key {key_arn}")
            self.eks.create_cluster(
                name=self.cluster,
                version=spec["kubernetes_version"],
                roleArn=role_arn,
                resourcesVpcConfig={
                    "subnetIds": self.subnet_ids("internal-elb"),
                    "endpointPublicAccess": True,
                    "endpointPrivateAccess": True,
                },
                encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": key_arn}}],
                tags=self.tag_map(self.cluster),
            )
            log(f"creating EKS cluster {self.cluster} (Kubernetes {spec['kubernetes_version']})")
        wait_for(
            f"EKS cluster {self.cluster} to become ACTIVE",
            lambda: (self.describe_cluster() or {}).get("status") == "ACTIVE",
        )
        log(f"EKS cluster {self.cluster} is ACTIVE")

    def destroy_cluster(self) -> None:
        cluster = self.describe_cluster()
        if cluster is not None and not self.ours(cluster.get("tags", {})):
            log(f"EKS cluster {self.cluster} belongs to another run; left alone")
        elif cluster is not None:
            # A node group whose own resource never reached the state (an interrupted apply)
            # would otherwise block the cluster for good.
            for name in self.eks.list_nodegroups(clusterName=self.cluster)["nodegroups"]:
                self.delete_nodegroup(name)
            if cluster["status"] != "DELETING":
                self.eks.delete_cluster(name=self.cluster)
            log(f"deleting EKS cluster {self.cluster}")
            wait_for(f"EKS cluster {self.cluster} to be deleted", lambda: self.describe_cluster() is None)
            log(f"deleted EKS cluster {self.cluster}")
        for key_id in self.find_keys(f"{self.cluster}-eks-secrets"):
            # The shortest window AWS allows. moto 5.2 fails with a 500 when given the key's ARN,
            # so the bare key id is passed.
            self.kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
            log(f"scheduled deletion of KMS key {key_id}")
        self.delete_role(self.spec["role_name"])

    # -------------------------------------------------------------- nodegroup

    def describe_nodegroup(self, name: str) -> dict[str, Any] | None:
        try:
            return self.eks.describe_nodegroup(clusterName=self.cluster, nodegroupName=name)["nodegroup"]
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                return None
            raise

    def create_nodegroup(self) -> None:
        spec = self.spec
        name = spec["nodegroup_name"]
        cluster = self.describe_cluster()
        if cluster is None or not self.ours(cluster.get("tags", {})):
            raise Failure(f"no EKS cluster {self.cluster} of this run: create the cluster first")
        nodegroup = self.describe_nodegroup(name)
        if nodegroup is not None:
            if not self.ours(nodegroup.get("tags", {})):
                raise Failure(f"node group {name} exists but belongs to another run")
            log(f"node group {name} exists ({nodegroup['status']})")
        else:
            role_arn = self.ensure_role(spec["role_name"], EC2_TRUST, NODE_POLICIES)
            count = int(spec["node_count"])
            self.eks.create_nodegroup(
                clusterName=self.cluster,
                nodegroupName=name,
                scalingConfig={"minSize": count, "desiredSize": count, "maxSize": count + 2},
                diskSize=int(spec["disk_size_gb"]),
                instanceTypes=[spec["instance_type"]],
                subnets=self.subnet_ids("internal-elb"),
                nodeRole=role_arn,
                capacityType="ON_DEMAND",
                amiType="AL2023_x86_64_STANDARD",
                tags=self.tag_map(name),
            )
            log(f"creating node group {name} ({count} x {spec['instance_type']})")
        wait_for(
            f"node group {name} to become ACTIVE",
            lambda: (self.describe_nodegroup(name) or {}).get("status") == "ACTIVE",
        )
        log(f"node group {name} is ACTIVE")

    def delete_nodegroup(self, name: str) -> None:
        nodegroup = self.describe_nodegroup(name)
        if nodegroup is None:
            return
        if not self.ours(nodegroup.get("tags", {})):
            log(f"node group {name} belongs to another run; left alone")
            return
        if nodegroup["status"] != "DELETING":
            self.eks.delete_nodegroup(clusterName=self.cluster, nodegroupName=name)
        log(f"deleting node group {name}")
        wait_for(f"node group {name} to be deleted", lambda: self.describe_nodegroup(name) is None)
        log(f"deleted node group {name}")

    def destroy_nodegroup(self) -> None:
        if self.describe_cluster() is not None:
            self.delete_nodegroup(self.spec["nodegroup_name"])
        self.delete_role(self.spec["role_name"])

    # -------------------------------------------------------------------- ECR

    def describe_repository(self, name: str) -> dict[str, Any] | None:
        try:
            return self.ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        except ClientError as err:
            if error_code(err) == "RepositoryNotFoundException":
                return None
            raise

    def create_ecr(self) -> None:
        name = self.spec["repository_name"]
        repo = self.describe_repository(name)
        if repo is None:
            repo = self.ecr.create_repository(
                repositoryName=name,
                imageTagMutability="MUTABLE",
                imageScanningConfiguration={"scanOnPush": True},
                tags=self.tag_list(name),
            )["repository"]
            log(f"created ECR repository {name}")
        elif not self.ours(self.ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]):
            raise Failure(f"ECR repository {name} exists but belongs to another run (no {RUN_TAG}={self.run_id} tag)")
        # The module states the URL before it exists; it must be the one moto hands out.
        if repo["repositoryUri"] != self.spec["repository_url"]:
            raise Failure(
                f"moto gave ECR repository {name} the URI {repo['repositoryUri']}, not {self.spec['repository_url']}: "
                "infra/sandbox expects moto's default account 123456789012"
            )
        log(f"ECR repository {repo['repositoryUri']} ready")

    def destroy_ecr(self) -> None:
        name = self.spec["repository_name"]
        repo = self.describe_repository(name)
        if repo is None:
            return
        if not self.ours(self.ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]):
            log(f"ECR repository {name} belongs to another run; left alone")
            return
        # The teardown deletes the run's images first; force keeps a crashed run's leftovers
        # from blocking the destroy.
        self.ecr.delete_repository(repositoryName=name, force=True)
        log(f"deleted ECR repository {name}")


PARTS = {
    "network": ("create_network", "destroy_network"),
    "cluster": ("create_cluster", "destroy_cluster"),
    "nodegroup": ("create_nodegroup", "destroy_nodegroup"),
    "ecr": ("create_ecr", "destroy_ecr"),
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["create", "destroy"])
    parser.add_argument("--region", required=True, help="AWS region")
    parser.add_argument("part", choices=sorted(PARTS))
    args = parser.parse_args(argv)
    try:
        raw = os.environ.get("BENCH_SANDBOX_SPEC")
        if not raw:
            raise Failure("BENCH_SANDBOX_SPEC is not set (it carries the part's settings as JSON)")
        spec = json.loads(raw)
        moto = Moto(args.region, spec)
        create, destroy = PARTS[args.part]
        if args.action == "create":
            try:
                getattr(moto, create)()
            except Exception:
                # A failed create leaves the resource tainted, and OpenTofu skips destroy-time
                # provisioners of tainted resources: without this, a destroy right after a
                # failed apply would strand what was already made.
                print(f"create {args.part} failed; removing what it made", file=sys.stderr, flush=True)
                try:
                    getattr(moto, destroy)()
                except Exception as cleanup:  # the original error matters more
                    print(
                        f"cleanup after the failed create failed too: {describe(cleanup)}", file=sys.stderr, flush=True
                    )
                raise
        else:
            getattr(moto, destroy)()
        return 0
    except Exception as err:
        print(describe(err), file=sys.stderr, flush=True)
        return 1


def describe(err: Exception) -> str:
    if isinstance(err, Failure):
        return str(err)
    if isinstance(err, ClientError):
        message = err.response.get("Error", {}).get("Message", str(err))
        return f"{error_code(err) or 'Error'}: {message} ({err.operation_name})"
    return f"{type(err).__name__}: {err}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
