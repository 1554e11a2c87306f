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

output "current_release_id" {
  description = "Id of the release the environment ran when this plan was made (empty if none)."
  value       = data.external.release.result.current_release_id
}

output "current_images" {
  description = "Map of service id to the image URI the environment ran when this plan was made."
  value       = local.current_images
}

output "image_changes" {
  description = "Per service, `unchanged: URI` or `OLD -> NEW`: what this apply changes in the environment."
  value = {
    for service, image in local.images : service => (
      lookup(local.current_images, service, "(none)") == image
      ? "unchanged: ${image}"
      : "${lookup(local.current_images, service, "(none)")} -> ${image}"
    )
  }
}
