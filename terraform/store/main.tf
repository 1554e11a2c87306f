# The tracking store and one project's SSM namespace policies (the demo's).
#   terraform -chdir=terraform/store apply -var project_id=bugfarm_73649   # real AWS
#   make store                                                            # local emulator (see README)
# A team creates the tables once per account and region (modules/tracking-store)
# and one namespace per project (modules/ssm-namespace) in its own stacks.

# The project's region and role, as the tracker uses them (`tracker projects --output tfvars`):
# the tables land where the tracker will look for them.
provider "aws" {
  region = var.region

  dynamic "assume_role" {
    for_each = var.role_arn == null ? [] : [var.role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "release-tracker-store"
    }
  }

  skip_credentials_validation = var.local_emulator
  skip_requesting_account_id  = var.local_emulator
  skip_metadata_api_check     = var.local_emulator
}

module "tracking_store" {
  source = "../../modules/tracking-store"

  deletion_protection_enabled = var.deletion_protection_enabled
  create_event_bus            = var.create_event_bus
  tags                        = { "managed-by" = "terraform", "purpose" = "rfc-013-release-tracking" }
}

module "namespace" {
  source = "../../modules/ssm-namespace"

  project_id            = var.project_id
  releases_table_arn    = module.tracking_store.releases_table_arn
  deployments_table_arn = module.tracking_store.deployments_table_arn
  event_bus_arns        = compact([module.tracking_store.event_bus_arn])
}
