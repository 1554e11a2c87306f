output "images" {
  description = "Map of service id to the image URI deployed to the environment (empty if nothing is deployed)."
  value       = local.images
}

output "path" {
  description = "The SSM path read: `/{project_id}/deployments/{environment}`."
  value       = data.aws_ssm_parameters_by_path.this.path
}
