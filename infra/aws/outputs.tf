# The same contract as infra/sandbox: bench reads these after `tofu apply` to connect, whatever the
# target.

output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "region" {
  description = "AWS region of the cluster."
  value       = var.region
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API server."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 of the PEM CA certificate of the Kubernetes API server."
  value       = aws_eks_cluster.this.certificate_authority[0].data
  sensitive   = true
}

output "ecr_repository_url" {
  description = "URL of the ECR repository, or \"\" when none was created."
  value       = var.create_ecr_repository ? aws_ecr_repository.this[0].repository_url : ""
}

output "kubernetes_version" {
  description = "Kubernetes version of the control plane."
  value       = aws_eks_cluster.this.version
}

output "run_id" {
  description = "The bench run that owns the cluster."
  value       = var.run_id
}
