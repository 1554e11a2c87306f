data "aws_caller_identity" "current" {}

locals {
  scripts = abspath("${path.module}/../../scripts")

  project_file = abspath(var.project_file)
  project_id   = jsondecode(file(var.project_file)).project.id
  requested_by = coalesce(var.requested_by, data.aws_caller_identity.current.arn)

  deploying = var.release_id != null

  images = {
    for key, value in data.external.release.result : trimprefix(key, "image.") => value
    if startswith(key, "image.")
  }
  current_images = {
    for key, value in data.external.release.result : trimprefix(key, "current.") => value
    if startswith(key, "current.")
  }

  # Per service: what the environment runs now and what it will run.
  image_changes = {
    for service, image in local.images : service => (
      lookup(local.current_images, service, "(none)") == image
      ? "unchanged: ${image}"
      : "${lookup(local.current_images, service, "(none)")} -> ${image}"
    )
  }
}

# Resolves the release (it exists, belongs to the project and has an image for
# every service) and what the environment runs now. Read-only: Terraform runs
# it on every plan and refresh.
data "external" "release" {
  program = [var.python, "${local.scripts}/resolve_release.py"]

  query = {
    project_file      = local.project_file
    environment       = var.environment
    release_id        = coalesce(var.release_id, "")
    releases_table    = var.releases_table_name
    deployments_table = var.deployments_table_name
  }
}

# Records the deployment and writes /{project}/deployments/{environment}/*.
# local-exec is the escape hatch because the tracking tables are an audit log
# that Terraform must append to, not a resource it owns: destroying this
# resource deletes no history. Values reach the program only through
# `environment`, never through the command line. The recorder is idempotent:
# when the environment already runs the release it records nothing, so a
# re-run after a failed apply (the resource is then tainted) converges
# without a duplicate entry.
resource "terraform_data" "record" {
  count = local.deploying ? 1 : 0

  # record_key is "<release>@<row version once recorded>": stable after this
  # deployment is recorded, new when anything else was deployed meanwhile.
  triggers_replace = {
    release_id  = data.external.release.result.release_id
    environment = var.environment
    record_key  = data.external.release.result.record_key
  }

  # Shown by `terraform plan` when a deployment is about to happen: the
  # release, and per service the image running now -> the one it will run.
  input = {
    release_id         = data.external.release.result.release_id
    current_release_id = data.external.release.result.current_release_id
    image_changes      = local.image_changes
  }

  provisioner "local-exec" {
    interpreter = [var.python, "${local.scripts}/record_deployment.py"]
    command     = "record"

    environment = {
      TRACKER_PROJECT_FILE      = local.project_file
      TRACKER_RELEASE_ID        = data.external.release.result.release_id
      TRACKER_ENVIRONMENT       = var.environment
      TRACKER_REQUESTED_BY      = local.requested_by
      TRACKER_REQUESTED_BY_NAME = coalesce(var.requested_by_name, local.requested_by)
      TRACKER_DESCRIPTION       = var.description
      TRACKER_RELEASES_TABLE    = var.releases_table_name
      TRACKER_DEPLOYMENTS_TABLE = var.deployments_table_name
    }
  }

  lifecycle {
    # `input` describes the change at the time it was planned; once applied,
    # "what runs now" equals the release, and that must not read as a change.
    ignore_changes = [input]
  }
}
