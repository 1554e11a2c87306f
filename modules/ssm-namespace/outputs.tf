output "images_path" {
  description = "SSM path under which CI publishes image URIs: `/{project_id}/images`."
  value       = "/${var.project_id}/images"
}

output "deployments_path" {
  description = "SSM path under which deployments are written: `/{project_id}/deployments`."
  value       = "/${var.project_id}/deployments"
}

output "publisher_policy_json" {
  description = "IAM policy (JSON) for CI: write `/{project_id}/images/*` only."
  value       = data.aws_iam_policy_document.publisher.json
}

output "deployer_policy_json" {
  description = "IAM policy (JSON) for deployers: read images, write `/{project_id}/deployments/*`, read/write the project's tracking rows."
  value       = data.aws_iam_policy_document.deployer.json
}

output "reader_policy_json" {
  description = "IAM policy (JSON) for readers: read-only access to the project's parameters and tracking rows."
  value       = data.aws_iam_policy_document.reader.json
}

output "policy_arns" {
  description = "ARNs of the managed policies by role (`publisher`, `deployer`, `reader`); empty unless `create_policies` is `true`."
  value       = { for role, policy in aws_iam_policy.this : role => policy.arn }
}
