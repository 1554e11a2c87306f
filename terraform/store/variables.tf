variable "project_id" {
  description = "The project whose SSM namespace policies to output (`project.id` of its manifest; `tracker projects --quiet` prints it)."
  type        = string
}

variable "region" {
  description = "Region of the tables (the manifest's `aws_region_name`/`region_name`). `null`: the provider's usual configuration (`AWS_REGION`...)."
  type        = string
  default     = null
}

variable "role_arn" {
  description = "Role to create them as (the manifest's `role_arn`, in the project's account). `null`: the caller's own credentials."
  type        = string
  default     = null
}

variable "deletion_protection_enabled" {
  description = "Whether DynamoDB refuses to delete the tracking tables."
  type        = bool
  default     = true
}

variable "local_emulator" {
  description = "Whether AWS is a local emulator (`AWS_ENDPOINT_URL` set): skips the provider's credential, account and metadata checks. Leave `false` for real AWS."
  type        = bool
  default     = false
}

variable "create_event_bus" {
  description = "Create the EventBridge bus `release-tracker` for the tracker's events (TRACKER_EVENT_BUS)."
  type        = bool
  default     = false
}
