data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "${local.role_prefix}-node"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    # Also covers the run's own ECR repository, when there is one.
    "AmazonEC2ContainerRegistryReadOnly",
  ])

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

# A launch template of our own because the node group's own settings can neither require IMDSv2,
# pick the volume type, nor tag the instances. It names no AMI, so EKS still chooses and updates
# the image, and bootstraps the nodes itself.
resource "aws_launch_template" "nodes" {
  name_prefix            = "${local.role_prefix}-nodes-"
  description            = "Nodes of EKS cluster ${var.cluster_name}"
  update_default_version = true

  # IMDSv2 only, so a request forged through a workload (SSRF) cannot read the node role's
  # credentials. A hop limit of 2 because a pod's request crosses one more hop than the node's:
  # with 1, SDKs in pods that fall back to the node role (or read the region) time out.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  # /dev/xvda is the root device of the EKS-optimized Amazon Linux AMIs; gp3 is cheaper than the
  # gp2 default and gives its baseline IOPS regardless of size.
  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.node_disk_size_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  # default_tags stop at the launch template; these reach what the Auto Scaling group launches, so
  # `bench cleanup` and the teardown check can see a node (or its volume) that outlived its run.
  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${var.cluster_name}-node" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Name = "${var.cluster_name}-node" })
  }
}

resource "aws_eks_node_group" "this" {
  cluster_name = aws_eks_cluster.this.name
  # Node group names are capped at 63 characters; short names match infra/sandbox's exactly.
  node_group_name = "${substr(var.cluster_name, 0, 57)}-nodes"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = aws_subnet.private[*].id
  # Follows the control plane, so raising kubernetes_version upgrades the nodes too.
  version        = aws_eks_cluster.this.version
  instance_types = [var.node_instance_type]
  capacity_type  = "ON_DEMAND"

  launch_template {
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.latest_version
  }

  # The headroom above node_count is for a rolling update, which surges new nodes before
  # draining old ones; nothing here autoscales.
  scaling_config {
    desired_size = var.node_count
    min_size     = var.node_count
    max_size     = var.node_count + 2
  }

  update_config {
    max_unavailable_percentage = 33
  }

  labels = {
    role = "worker"
  }

  # Nodes in private subnets reach the API server and ECR only through the NAT gateway, so they
  # cannot join before the routes exist. The policies must outlive the nodes on destroy, or
  # draining nodes lose their network plugin's permissions.
  depends_on = [
    aws_iam_role_policy_attachment.node,
    aws_route.private_nat,
    aws_route_table_association.private,
  ]
}
