output "releases_table_name" {
  description = "Name of the releases table (for `TRACKER_RELEASES_TABLE`)."
  value       = aws_dynamodb_table.releases.name
}

output "releases_table_arn" {
  description = "ARN of the releases table."
  value       = aws_dynamodb_table.releases.arn
}

output "deployments_table_name" {
  description = "Name of the deployments table (for `TRACKER_DEPLOYMENTS_TABLE`)."
  value       = aws_dynamodb_table.deployments.name
}

output "deployments_table_arn" {
  description = "ARN of the deployments table."
  value       = aws_dynamodb_table.deployments.arn
}
