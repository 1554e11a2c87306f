variable "project_file" {
  description = "Path to the project manifest (`.wellcome_project`). Default: the RFC's bugfarm example in this repository."
  type        = string
  default     = "../../../examples/bugfarm/.wellcome_project"
}

variable "release_id" {
  description = "Id of the release to deploy, or `latest`. `null` (the default) deploys nothing and only reads what the environment runs."
  type        = string
  default     = null
}

variable "requested_by" {
  description = "Who requests the deployment. `null`: the AWS caller identity's ARN."
  type        = string
  default     = null
}

variable "requested_by_name" {
  description = "Display name of `requested_by`. `null`: the id."
  type        = string
  default     = null
}

variable "description" {
  description = "Why this release is deployed (at most 1 024 characters)."
  type        = string
  default     = ""
}

variable "python" {
  description = "Python interpreter with the `tracker` package installed, e.g. `../../../.venv/bin/python` (the Makefile sets it)."
  type        = string
  default     = "python3"
}

variable "local_emulator" {
  description = "Whether AWS is a local emulator (`AWS_ENDPOINT_URL` set): skips the provider's credential, account and metadata checks. Leave `false` for real AWS."
  type        = bool
  default     = false
}

variable "releases_table_name" {
  description = "Name of the releases table (the CLI's `TRACKER_RELEASES_TABLE`)."
  type        = string
  default     = "tracker-releases"
}

variable "deployments_table_name" {
  description = "Name of the deployments table (the CLI's `TRACKER_DEPLOYMENTS_TABLE`)."
  type        = string
  default     = "tracker-deployments"
}
