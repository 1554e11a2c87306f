variable "project_file" {
  description = "Path to the project manifest (`.wellcome_project`, RFC 013) of the project to deploy."
  type        = string
}

variable "environment" {
  description = "Id of the environment to deploy to, e.g. `stage` or `prod` (SSM-path-safe; declared in the manifest's `environments` if it has that list)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.environment)) && !can(regex("^(?i)(aws|ssm)", var.environment))
    error_message = "The environment must be SSM-path-safe: 1 to 128 of letters, digits, '.', '_' or '-', not starting with 'aws' or 'ssm'."
  }
}

variable "release_id" {
  description = "Id of the release to deploy, or `latest` for the project's newest release. `null` deploys nothing and only reads what the environment runs."
  type        = string
  default     = null
}

variable "requested_by" {
  description = "Id of who requests the deployment (the RFC's `requested_by.id`). `null` uses the ARN of the AWS caller identity."
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

variable "python" {
  description = "Python interpreter that runs the tracker's programs; its environment must have the `tracker` package installed (e.g. the repository's `.venv/bin/python` after `make setup`)."
  type        = string
  default     = "python3"
}

variable "releases_table_name" {
  description = "Name of the releases table; the default equals the tracking-store module's."
  type        = string
  default     = "tracker-releases"
}

variable "deployments_table_name" {
  description = "Name of the deployments table; the default equals the tracking-store module's."
  type        = string
  default     = "tracker-deployments"
}
