output "releases_table_name" {
  description = "Name of the releases table."
  value       = module.tracking_store.releases_table_name
}

output "deployments_table_name" {
  description = "Name of the deployments table."
  value       = module.tracking_store.deployments_table_name
}

output "publisher_policy_json" {
  description = "IAM policy for the project's CI publisher."
  value       = module.namespace.publisher_policy_json
}

output "deployer_policy_json" {
  description = "IAM policy for the project's deployers."
  value       = module.namespace.deployer_policy_json
}

output "reader_policy_json" {
  description = "IAM policy for the project's read-only consumers."
  value       = module.namespace.reader_policy_json
}

output "event_bus_name" {
  description = "The tracker's EventBridge bus (TRACKER_EVENT_BUS), when create_event_bus is true."
  value       = module.tracking_store.event_bus_name
}
