locals {
  # moto's default account: its ECR answers with this account in every repository URI, and the
  # create step checks that it did, so a different moto setup fails loudly instead of lying here.
  moto_account_id = "123456789012"

  zones = [for suffix in ["a", "b", "c"] : "${var.region}${suffix}"]

  # Project is a default a user may override; the ownership tags are what `bench cleanup` and the
  # teardown check rely on, so they always win.
  tags = merge(
    { Project = "bench" },
    var.tags,
    {
      "bench.dev/run-id"     = var.run_id
      "bench.dev/expires-at" = var.expires_at
      "bench.dev/managed-by" = "bench"
    },
  )

  newbits = 24 - tonumber(split("/", var.vpc_cidr)[1])

  # Everything the script needs, whatever the part: it is stored in each resource's input because
  # destroy-time provisioners may only read `self`.
  base_spec = {
    cluster_name = var.cluster_name
    region       = var.region
    run_id       = var.run_id
    tags         = local.tags
  }

  network_spec = merge(local.base_spec, {
    vpc_cidr       = var.vpc_cidr
    nat_gateway_ha = var.nat_gateway_ha
    public_subnets = [for i, zone in local.zones : { zone = zone, cidr = cidrsubnet(var.vpc_cidr, local.newbits, i + 1) }]
    private_subnets = [
      for i, zone in local.zones : { zone = zone, cidr = cidrsubnet(var.vpc_cidr, local.newbits, i + 11) }
    ]
  })

  cluster_spec = merge(local.base_spec, {
    kubernetes_version = var.kubernetes_version
    # IAM role names are global and capped at 64 characters.
    role_name = "${substr(var.cluster_name, 0, 50)}-cluster"
  })

  nodegroup_spec = merge(local.base_spec, {
    nodegroup_name = "${var.cluster_name}-nodes"
    instance_type  = var.node_instance_type
    node_count     = var.node_count
    disk_size_gb   = var.node_disk_size_gb
    role_name      = "${substr(var.cluster_name, 0, 50)}-node"
  })

  ecr_spec = merge(local.base_spec, {
    repository_name = var.ecr_repository_name
    repository_url  = "${local.moto_account_id}.dkr.ecr.${var.region}.amazonaws.com/${var.ecr_repository_name}"
  })
}

# Each part is its own resource so `tofu apply -json` reports progress part by part, and a failed
# part is retried alone. A provisioner runs only on create, so any change of a part's spec
# replaces it (moto's resources are deleted and created again); the ids chained through
# triggers_replace carry a replacement on to the parts built on top of it. The spec is hashed
# there only to keep plans short: `input` shows what changed.

resource "terraform_data" "network" {
  triggers_replace = sha256(jsonencode(local.network_spec))

  input = {
    python = var.python
    spec   = local.network_spec
  }

  provisioner "local-exec" {
    interpreter = [self.input.python, "${path.module}/scripts/moto_resources.py", "create", "--region", self.input.spec.region]
    command     = "network"
    environment = { BENCH_SANDBOX_SPEC = jsonencode(self.input.spec) }
  }

  provisioner "local-exec" {
    when        = destroy
    interpreter = [self.input.python, "${path.module}/scripts/moto_resources.py", "destroy", "--region", self.input.spec.region]
    command     = "network"
    environment = { BENCH_SANDBOX_SPEC = jsonencode(self.input.spec) }
  }
}

resource "terraform_data" "cluster" {
  triggers_replace = [sha256(jsonencode(local.cluster_spec)), terraform_data.network.id]

  input = {
    python = var.python
    spec   = local.cluster_spec
  }

  provisioner "local-exec" {
    interpreter = [self.input.python, "${path.module}/scripts/moto_resources.py", "create", "--region", self.input.spec.region]
    command     = "cluster"
    environment = { BENCH_SANDBOX_SPEC = jsonencode(self.input.spec) }
  }

  provisioner "local-exec" {
    when        = destroy
    interpreter = [self.input.python, "${path.module}/scripts/moto_resources.py", "destroy", "--region", self.input.spec.region]
    command     = "cluster"
    environment = { BENCH_SANDBOX_SPEC = jsonencode(self.input.spec) }
  }
}

resource "terraform_data" "nodegroup" {
  triggers_replace = [sha256(jsonencode(local.nodegroup_spec)), terraform_data.cluster.id]

  input = {
    python = var.python
    spec   = local.nodegroup_spec
  }

  provisioner "local-exec" {
    interpreter = [self.input.python, "${path.module}/scripts/moto_resources.py", "create", "--region", self.input.spec.region]
    command     = "nodegroup"
    environment = { BENCH_SANDBOX_SPEC = jsonencode(self.input.spec) }
  }

  provisioner "local-exec" {
    when        = destroy
    interpreter = [self.input.python, "${path.module}/scripts/moto_resources.py", "destroy", "--region", self.input.spec.region]
    command     = "nodegroup"
    environment = { BENCH_SANDBOX_SPEC = jsonencode(self.input.spec) }
  }
}

resource "terraform_data" "ecr" {
  count = var.create_ecr_repository ? 1 : 0

  triggers_replace = sha256(jsonencode(local.ecr_spec))

  input = {
    python = var.python
    spec   = local.ecr_spec
  }

  provisioner "local-exec" {
    interpreter = [self.input.python, "${path.module}/scripts/moto_resources.py", "create", "--region", self.input.spec.region]
    command     = "ecr"
    environment = { BENCH_SANDBOX_SPEC = jsonencode(self.input.spec) }
  }

  provisioner "local-exec" {
    when        = destroy
    interpreter = [self.input.python, "${path.module}/scripts/moto_resources.py", "destroy", "--region", self.input.spec.region]
    command     = "ecr"
    environment = { BENCH_SANDBOX_SPEC = jsonencode(self.input.spec) }
  }
}
