variable "project_file" {
  description = "Path to the project manifest (`.wellcome_project`: the RFC's JSON or weco-deploy's YAML) of the project to deploy; relative paths are relative to the directory Terraform runs in."
  type        = string
}

variable "project_id" {
  description = "Which project of the manifest, when it holds several (weco-deploy's YAML format). `null`: `TRACKER_PROJECT` in Terraform's environment, else the manifest's only project."
  type        = string
  default     = null

  validation {
    condition     = var.project_id == null || (can(regex("^[A-Za-z0-9_.-]{1,128}$", var.project_id)) && !can(regex("^([aA][wW][sS]|[sS][sS][mM]|\\.+$)", var.project_id)))
    error_message = "The project_id must be SSM-path-safe: 1 to 128 of letters, digits, '.', '_' or '-', not starting with 'aws' or 'ssm', not only dots."
  }
}

variable "environment" {
  description = "Id of the environment to deploy to, e.g. `stage` or `prod` (SSM-path-safe; declared in the manifest's `environments` if it has that list)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.environment)) && !can(regex("^([aA][wW][sS]|[sS][sS][mM]|\\.+$)", var.environment))
    error_message = "The environment must be SSM-path-safe: 1 to 128 of letters, digits, '.', '_' or '-', not starting with 'aws' or 'ssm', not only dots."
  }
}

variable "release_id" {
  description = "Release to deploy: an id, a unique prefix of at least 8 characters, or `latest` for the project's newest release. `null` (with `from_environment` also `null`) deploys nothing and only reads what the environment runs."
  type        = string
  default     = null
}

variable "from_environment" {
  description = "Promotion: deploy the release this environment runs (instead of `release_id`, which must then be `null`)."
  type        = string
  default     = null

  validation {
    condition     = var.from_environment == null || (can(regex("^[A-Za-z0-9_.-]{1,128}$", var.from_environment)) && !can(regex("^([aA][wW][sS]|[sS][sS][mM]|\\.+$)", var.from_environment)))
    error_message = "The from_environment must be SSM-path-safe: 1 to 128 of letters, digits, '.', '_' or '-', not starting with 'aws' or 'ssm', not only dots."
  }
}

variable "requested_by" {
  description = "Id of who requests the deployment (the RFC's `requested_by.id`). `null`: `TRACKER_USER` in Terraform's environment, else the AWS caller identity's ARN (read when recording). The plan sends it too, so a promotion policy never counts the requester's own approval."
  type        = string
  default     = null
}

variable "requested_by_name" {
  description = "Display name of `requested_by`. `null` uses the id."
  type        = string
  default     = null
}

variable "description" {
  description = "Why this release goes to this environment (free text, at most 1 024 characters)."
  type        = string
  default     = ""

  validation {
    condition     = length(var.description) <= 1024
    error_message = "The description must be at most 1024 characters."
  }
}

variable "tracker_command" {
  description = "The command that runs the tracker, as a list (no shell): `[\"tracker\"]` finds the installed console script on PATH; e.g. `[\"/opt/venvs/tracker/bin/tracker\"]` or `[\"python3\", \"-m\", \"tracker\"]` name another."
  type        = list(string)
  default     = ["tracker"]

  validation {
    condition     = length(var.tracker_command) > 0
    error_message = "The tracker_command must name a program."
  }
}

variable "releases_table_name" {
  description = "Name of the releases table. `null`: `TRACKER_RELEASES_TABLE` in Terraform's environment, else `tracker-releases` (the tracking-store module's default)."
  type        = string
  default     = null
}

variable "deployments_table_name" {
  description = "Name of the deployments table. `null`: `TRACKER_DEPLOYMENTS_TABLE` in Terraform's environment, else `tracker-deployments`."
  type        = string
  default     = null
}

variable "force" {
  description = "Deploy even though the environment is frozen (`tracker freeze`), a deployment window of the manifest closes it, or its promotion policy is not met (unless the policy says `allow_force: false`). Needs a `description` saying why; the deployment's record says what it was forced through."
  type        = bool
  default     = false
  nullable    = false
}

variable "event_bus" {
  description = "EventBridge bus (name or ARN) the recorder sends the `Deployment` event to. `null`: `TRACKER_EVENT_BUS` in Terraform's environment, else no event."
  type        = string
  default     = null
}

variable "allow_nothing_deployed" {
  description = "Let a plan without `release_id` (and without `from_environment`) succeed on an environment where nothing is deployed yet; `images` is then empty. `false` (the default): such a plan fails with one line saying to give `release_id`, since a stack that uses `images` could not plan anyway. Set `true` in a root that only records and reads."
  type        = bool
  default     = false
  nullable    = false
}
