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

output "event_bus_name" {
  description = "Name of the tracker's EventBridge bus (for `TRACKER_EVENT_BUS`); null unless `create_event_bus`."
  value       = try(aws_cloudwatch_event_bus.this[0].name, null)
}

output "event_bus_arn" {
  description = "ARN of the tracker's EventBridge bus (for rules, and the namespace module's `event_bus_arns`); null unless `create_event_bus`."
  value       = try(aws_cloudwatch_event_bus.this[0].arn, null)
}
