data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

# An access entry takes an IAM user or role, not an STS session: for an assumed role (SSO, CI,
# `aws sts assume-role`) this gives the role's ARN, path included; a user's ARN passes through.
data "aws_iam_session_context" "caller" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  partition = data.aws_partition.current.partition
  # IAM role names are global and capped at 64 characters; the same names as infra/sandbox.
  role_prefix = substr(var.cluster_name, 0, 50)
}

data "aws_iam_policy_document" "cluster_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${local.role_prefix}-cluster"
  assume_role_policy = data.aws_iam_policy_document.cluster_assume.json
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

# Secrets in etcd are encrypted with a key of the run's, so nothing of them outlives the run: the
# key is scheduled for deletion on destroy. Seven days is the shortest window AWS allows.
resource "aws_kms_key" "secrets" {
  description             = "Secrets encryption of EKS cluster ${var.cluster_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 7
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/eks/${var.cluster_name}"
  target_key_id = aws_kms_key.secrets.key_id
}

# The key's default policy delegates to IAM, and AmazonEKSClusterPolicy grants no KMS actions, so
# the control plane is allowed this one key here.
data "aws_iam_policy_document" "cluster_secrets" {
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    resources = [aws_kms_key.secrets.arn]
  }
}

resource "aws_iam_role_policy" "cluster_secrets" {
  name   = "secrets-encryption"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_secrets.json
}

resource "aws_eks_cluster" "this" {
  name     = var.cluster_name
  version  = var.kubernetes_version
  role_arn = aws_iam_role.cluster.arn

  vpc_config {
    # Both kinds of subnet, so the control plane's interfaces sit next to the nodes and the
    # cluster's load balancers can use the public ones.
    subnet_ids              = concat(aws_subnet.private[*].id, aws_subnet.public[*].id)
    endpoint_private_access = true
    # bench talks to the API server from wherever it runs, and from there only: the public
    # endpoint answers the allow-list (the caller's address as a /32, unless the run is told
    # otherwise), not the whole internet as EKS's default 0.0.0.0/0 would.
    endpoint_public_access = true
    public_access_cidrs    = var.api_allowed_cidrs
  }

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = aws_kms_key.secrets.arn
    }
  }

  # The caller's admin rights come from the access entry below rather than from bootstrapping:
  # a bootstrapped entry is made by EKS outside the state and would clash with ours (same
  # principal). CONFIG_MAP stays allowed for tools that still edit aws-auth.
  access_config {
    authentication_mode                         = "API_AND_CONFIG_MAP"
    bootstrap_cluster_creator_admin_permissions = false
  }

  # Without these the cluster can come up unable to use its role or key, and on destroy the role
  # would lose its permissions while EKS still cleans up with it.
  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_secrets,
  ]
}

# Whoever applies the module administers the cluster: bench deploys with the same credentials.
resource "aws_eks_access_entry" "caller" {
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = data.aws_iam_session_context.caller.issuer_arn
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "caller_admin" {
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.caller.principal_arn
  policy_arn    = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

  access_scope {
    type = "cluster"
  }
}

# EKS installs these three itself as self-managed add-ons; taking them over as managed ones lets
# EKS keep them matched to the control plane version. OVERWRITE because the self-managed copies
# are already there when the add-ons are created.
resource "aws_eks_addon" "vpc_cni" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "vpc-cni"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
}

resource "aws_eks_addon" "kube_proxy" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "kube-proxy"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
}

resource "aws_eks_addon" "coredns" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "coredns"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  # CoreDNS is a Deployment: without nodes its pods stay Pending and the add-on never becomes
  # ACTIVE, so creating it before the node group times out after 20 minutes.
  depends_on = [aws_eks_node_group.this]
}
