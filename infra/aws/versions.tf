terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.40 has everything used here (EKS access entries and access_config came in 5.33); 7.x may
      # rename or drop arguments, so it has to be tried before it is allowed.
      version = ">= 5.40, < 7.0"
    }
  }
}

locals {
  # Project is a default a user may override; the ownership tags are what `bench cleanup` and the
  # teardown check rely on, so they always win. The same merge as in infra/sandbox.
  tags = merge(
    { Project = "bench" },
    var.tags,
    {
      "bench.dev/run-id"     = var.run_id
      "bench.dev/expires-at" = var.expires_at
      "bench.dev/managed-by" = "bench"
    },
  )
}

provider "aws" {
  region = var.region

  # Tagging through the provider reaches every taggable resource of this module, including the
  # ones a reviewer forgets. It does not reach what AWS launches on our behalf (the nodes' EC2
  # instances and volumes): nodes.tf tags those through the launch template.
  default_tags {
    tags = local.tags
  }
}
