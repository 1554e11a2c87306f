# One root for every environment of every project: the environment and the
# project manifest are variables, so `make deploy ENV=dev` needs no copy of
# this folder. Run it through `make deploy|promote|plan` (or `tracker
# terraform deploy|promote|plan --root terraform/environment`), which keeps
# Terraform state per project and environment; by hand:
#   terraform init -backend-config=path=<state>/<project>/<env>/terraform.tfstate
#   terraform apply -var project_file=... -var environment=stage -var release_id=latest
#
# A team's own stack would use module.release.images in its resources (ECS
# task definitions...); this root only records and reads.

module "release" {
  source = "../../modules/release-deployment"

  project_file      = var.project_file
  project_id        = var.project_id
  environment       = var.environment
  release_id        = var.release_id
  from_environment  = var.from_environment
  requested_by      = var.requested_by
  requested_by_name = var.requested_by_name
  description       = var.description
  force             = var.force
  tracker_command   = var.tracker_command

  # This root only records and reads: reading an environment with nothing deployed yet is no error.
  allow_nothing_deployed = true
}
