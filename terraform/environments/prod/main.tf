# Deploys a release of the project to prod and records it:
#   terraform -chdir=terraform/environments/prod apply -var release_id=<id>
# The stack's own resources (e.g. ECS services) would use module.release.images.

provider "aws" {
  skip_credentials_validation = var.local_emulator
  skip_requesting_account_id  = var.local_emulator
  skip_metadata_api_check     = var.local_emulator
}

module "release" {
  source = "../../../modules/release-deployment"

  project_file      = var.project_file
  environment       = "prod"
  release_id        = var.release_id
  requested_by      = var.requested_by
  requested_by_name = var.requested_by_name
  description       = var.description
  python            = var.python

  releases_table_name    = var.releases_table_name
  deployments_table_name = var.deployments_table_name
}
