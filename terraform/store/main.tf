# The tracking store and the demo project's SSM namespace.
#   terraform -chdir=terraform/store apply                      # real AWS
#   make store                                                  # local emulator (see README)

provider "aws" {
  skip_credentials_validation = var.local_emulator
  skip_requesting_account_id  = var.local_emulator
  skip_metadata_api_check     = var.local_emulator
}

locals {
  project = jsondecode(file(var.project_file)).project
}

module "tracking_store" {
  source = "../../modules/tracking-store"

  deletion_protection_enabled = var.deletion_protection_enabled
  tags                        = { "managed-by" = "terraform", "purpose" = "rfc-013-release-tracking" }
}

module "namespace" {
  source = "../../modules/ssm-namespace"

  project_id            = local.project.id
  releases_table_arn    = module.tracking_store.releases_table_arn
  deployments_table_arn = module.tracking_store.deployments_table_arn
}
