output "project_id" {
  description = "The project whose environment this state belongs to."
  value       = module.release.project_id
}

output "release_id" {
  description = "The release this environment runs after the apply."
  value       = module.release.release_id
}

output "images" {
  description = "Service id to image URI of that release."
  value       = module.release.images
}
