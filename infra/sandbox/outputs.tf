# The same contract as infra/aws. Values are read back from the resources where they can be, so
# they only become known once the part that backs them exists.

output "cluster_name" {
  description = "Name of the EKS cluster (in moto)."
  value       = terraform_data.cluster.output.spec.cluster_name
}

output "region" {
  description = "AWS region of the cluster."
  value       = terraform_data.cluster.output.spec.region
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API server: the local kube-apiserver, not moto's fake EKS endpoint."
  value       = var.api_server_endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 of the PEM CA certificate of the Kubernetes API server."
  value       = var.api_server_ca_data
  sensitive   = true
}

output "ecr_repository_url" {
  description = "URL of the ECR repository, or \"\" when none was created."
  value       = var.create_ecr_repository ? terraform_data.ecr[0].output.spec.repository_url : ""
}

output "kubernetes_version" {
  description = "Kubernetes version of the control plane."
  value       = terraform_data.cluster.output.spec.kubernetes_version
}

output "run_id" {
  description = "The bench run that owns the cluster."
  value       = var.run_id
}
