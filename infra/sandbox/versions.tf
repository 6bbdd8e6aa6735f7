terraform {
  # terraform_data needs OpenTofu >= 1.6. No required_providers on purpose: the sandbox must
  # apply with no network, so only the built-in provider (terraform_data, local-exec) is used.
  required_version = ">= 1.6.0"
}
