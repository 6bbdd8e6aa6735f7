# The same variables as infra/sandbox (less its sandbox-only ones), with the same validations, so a
# suite's `variables:` work for both targets unchanged. test/infra/aws-module.test.ts holds the
# two modules to that.

variable "cluster_name" {
  description = "Name of the EKS cluster; also the prefix of every resource name."
  type        = string

  validation {
    # EKS's own rule; IAM role names are cut from it, so keep it short enough to stay unique.
    condition     = can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must be 1-100 characters of letters, digits, '-' and '_', starting with a letter or digit."
  }
}

variable "region" {
  description = "AWS region; the cluster spans its first three availability zones that need no opt-in."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes version of the EKS control plane."
  type        = string
  default     = "1.34"
}

variable "node_instance_type" {
  description = "EC2 instance type of the managed node group."
  type        = string
  default     = "m6i.2xlarge"
}

variable "node_count" {
  description = "Desired (and minimum) size of the managed node group; the maximum is two more."
  type        = number
  default     = 3

  validation {
    condition     = var.node_count >= 1 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number >= 1."
  }
}

variable "node_disk_size_gb" {
  description = "Root volume size of each node, in GB."
  type        = number
  default     = 100
}

variable "nat_gateway_ha" {
  description = "One NAT gateway per availability zone (true) or a single shared one (false)."
  type        = bool
  default     = false
}

variable "create_ecr_repository" {
  description = "Create an ECR repository for the run's images."
  type        = bool
  default     = false
}

variable "ecr_repository_name" {
  description = "Name of the ECR repository, when create_ecr_repository is true."
  type        = string
  default     = "thyme"
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC; subnets are the /24s number 1-3 (public) and 11-13 (private) of it."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrsubnet(var.vpc_cidr, 24 - tonumber(split("/", var.vpc_cidr)[1]), 13))
    error_message = "vpc_cidr must be an IPv4 CIDR block of /20 or larger (it holds /24 subnets number 1-13)."
  }
}

variable "run_id" {
  description = "The bench run that owns everything created; tagged as bench.dev/run-id."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,62}$", var.run_id))
    error_message = "run_id must match ^[a-z0-9][a-z0-9-]{0,62}$."
  }
}

variable "expires_at" {
  description = "RFC 3339 time after which `bench cleanup` may remove the run's resources; tagged as bench.dev/expires-at."
  type        = string

  validation {
    condition     = can(formatdate("YYYY", var.expires_at))
    error_message = "expires_at must be an RFC 3339 timestamp, e.g. 2026-01-02T15:04:05Z."
  }
}

variable "tags" {
  description = "Extra tags for every resource. The bench.dev/* ownership tags cannot be overridden."
  type        = map(string)
  default     = {}
}

variable "api_allowed_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the cluster's public API endpoint (bench fills in the caller's public address as a /32); the nodes use the private endpoint."
  type        = list(string)

  validation {
    # EKS takes IPv4 blocks with their host bits zero; `0.0.0.0/0` opens the endpoint to the world
    # and has to be asked for by name.
    condition = length(var.api_allowed_cidrs) > 0 && alltrue([
      for c in var.api_allowed_cidrs :
      can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$", c)) && try(cidrsubnet(c, 0, 0) == c, false)
    ])
    error_message = "api_allowed_cidrs must be a non-empty list of IPv4 CIDR blocks with their host bits zero, e.g. [\"203.0.113.7/32\"]."
  }
}
