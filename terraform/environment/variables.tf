variable "project_file" {
  description = "Path to the project manifest (`.wellcome_project`)."
  type        = string
}

variable "project_id" {
  description = "Which project of the manifest, when it holds several (weco-deploy's YAML). `null`: the only one."
  type        = string
  default     = null
}

variable "environment" {
  description = "Id of the environment to deploy to (declared in the manifest's `environments`, if it has that list)."
  type        = string
}

variable "release_id" {
  description = "Release to deploy: an id, a unique prefix of at least 8 characters, or `latest`. `null` (the default) deploys nothing and only reads what the environment runs."
  type        = string
  default     = null
}

variable "from_environment" {
  description = "Promotion: deploy the release this environment runs instead of `release_id`."
  type        = string
  default     = null
}

variable "requested_by" {
  description = "Who requests the deployment. `null`: `TRACKER_USER`, else the AWS caller identity's ARN."
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

variable "tracker_command" {
  description = "The command that runs the tracker, as a list; the default finds `tracker` on PATH (the Makefile passes the repository's .venv)."
  type        = list(string)
  default     = ["tracker"]
}

variable "force" {
  description = "Deploy through a freeze or a closed deployment window (needs a `description` saying why; recorded as forced)."
  type        = bool
  default     = false
}
