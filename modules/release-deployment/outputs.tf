output "project_id" {
  description = "The project's id (`project.id` of its manifest), as the tracker read it."
  value       = local.plan.project_id
}

output "release_id" {
  description = "Id of the release deployed (resolved from `latest`, a prefix or `from_environment`), or the environment's current release when neither `release_id` nor `from_environment` is set; `\"\"` when nothing is deployed."
  value       = local.plan.release_id
}

output "images" {
  description = "Map of service id to image URI of that release, for the stack's own resources (e.g. ECS task definitions)."
  value       = local.images
}

output "image_changes" {
  description = "Map of service id to what deploying the release changes, for people reading the plan: `OLD -> NEW`, `(none) -> NEW` or `unchanged: URI`, digests shortened (`…/app:v1 (sha256:3f2a9c1b0e4d)`). Use `images` for the full URIs."
  value       = local.changes
}
