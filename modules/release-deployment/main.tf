# Everything this module decides, it asks the tracker: the module reads no
# file and parses no manifest. The tracker is the installed package's own
# command (`tracker` on PATH, or var.tracker_command), so the module works
# wherever its folder is copied.

locals {
  plan    = data.external.plan.result
  images  = jsondecode(local.plan.images)
  changes = jsondecode(local.plan.changes)

  project_file = abspath(var.project_file)
}

# The deployment plan: which release (an id, a prefix, `latest`, or what
# from_environment runs), that it belongs to the project and has an image for
# every service, what the environment runs now and what will change. A
# deployment to a frozen environment, one a deployment window closes, or one
# the environment's promotion policy refuses fails here (the plan) with the
# tracker's one line, unless var.force. requested_by lets the plan leave the
# requester's own approval uncounted, as the recorder will.
# Read-only: Terraform runs it on every plan and refresh. Null query values
# are dropped, so the tracker's own settings (TRACKER_* variables) apply.
data "external" "plan" {
  program = concat(var.tracker_command, ["terraform", "resolve"])

  query = {
    project_file      = local.project_file
    project_id        = var.project_id
    environment       = var.environment
    release_id        = var.release_id
    from_environment  = var.from_environment
    force             = var.force ? "true" : null
    requested_by      = var.requested_by
    releases_table    = var.releases_table_name
    deployments_table = var.deployments_table_name

    allow_nothing_deployed = var.allow_nothing_deployed ? "true" : null
  }
}

# Records the deployment and writes /{project}/deployments/{environment}/*.
# local-exec is the escape hatch because the tracking tables are an audit log
# that Terraform must append to, not a resource it owns: destroying this
# resource deletes no history. Values reach the recorder only through
# `environment`, never through the command line. The recorder is idempotent:
# when the environment already runs the release it records nothing, so a
# re-run after a failed apply (the resource is then tainted) converges
# without a duplicate entry.
resource "terraform_data" "record" {
  # No key only when nothing is asked for and nothing runs there. Without a
  # release, the key is what runs now: a plan that only reads changes nothing.
  count = local.plan.record_key == "" ? 0 : 1

  # record_key is "<release>@<row version once recorded>": stable after this
  # deployment is recorded, new when anything else was deployed meanwhile.
  triggers_replace = {
    environment = var.environment
    record_key  = local.plan.record_key
  }

  # Shown by `terraform plan` when a deployment is about to happen: the
  # release, and per service the image running now -> the one it will run.
  input = {
    release_id         = local.plan.release_id
    current_release_id = local.plan.current_release_id
    image_changes      = local.changes
  }

  provisioner "local-exec" {
    interpreter = concat(var.tracker_command, ["terraform"])
    command     = "record"

    environment = {
      for name, value in {
        TRACKER_PROJECT_FILE      = local.project_file
        TRACKER_PROJECT           = local.plan.project_id
        TRACKER_RELEASE_ID        = local.plan.release_id
        TRACKER_ENVIRONMENT       = var.environment
        TRACKER_REQUESTED_BY      = var.requested_by
        TRACKER_REQUESTED_BY_NAME = var.requested_by_name
        TRACKER_DESCRIPTION       = var.description
        TRACKER_FORCE             = var.force ? "1" : null
        TRACKER_EVENT_BUS         = var.event_bus
        TRACKER_RELEASES_TABLE    = var.releases_table_name
        TRACKER_DEPLOYMENTS_TABLE = var.deployments_table_name
      } : name => value if value != null
    }
  }

  lifecycle {
    # `input` describes the change at the time it was planned; once applied,
    # "what runs now" equals the release, and that must not read as a change.
    ignore_changes = [input]
  }
}
