variable "project_id" {
  description = "The project's id (`project.id` of its manifest)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.project_id)) && !can(regex("^([aA][wW][sS]|[sS][sS][mM]|\\.+$)", var.project_id))
    error_message = "The project_id must be SSM-path-safe: 1 to 128 of letters, digits, '.', '_' or '-', not starting with 'aws' or 'ssm', not only dots."
  }
}

variable "environment" {
  description = "Id of the environment whose deployed images to read, e.g. `prod`."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.environment)) && !can(regex("^([aA][wW][sS]|[sS][sS][mM]|\\.+$)", var.environment))
    error_message = "The environment must be SSM-path-safe: 1 to 128 of letters, digits, '.', '_' or '-', not starting with 'aws' or 'ssm', not only dots."
  }
}
