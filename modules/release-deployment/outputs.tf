output "project_id" {
  description = "The project's id, from its manifest."
  value       = local.project_id
}

output "release_id" {
  description = "Id of the release deployed (resolved when `latest` was asked for), or the environment's current release when `release_id` is `null`."
  value       = data.external.release.result.release_id
}

output "images" {
  description = "Map of service id to image URI of the release, for the stack's own resources (e.g. ECS task definitions)."
  value       = local.images
}
