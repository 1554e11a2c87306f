variable "releases_table_name" {
  description = "Name of the releases table. The default equals the `tracker` CLI's default (`TRACKER_RELEASES_TABLE`)."
  type        = string
  default     = "tracker-releases"
}

variable "deployments_table_name" {
  description = "Name of the deployments table. The default equals the `tracker` CLI's default (`TRACKER_DEPLOYMENTS_TABLE`)."
  type        = string
  default     = "tracker-deployments"
}

variable "deletion_protection_enabled" {
  description = "Whether DynamoDB refuses to delete the tables. On by default: the tables are an audit trail."
  type        = bool
  default     = true
}

variable "point_in_time_recovery_enabled" {
  description = "Whether point-in-time recovery is enabled on both tables."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key for server-side encryption, or `null` for the AWS managed key."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to both tables."
  type        = map(string)
  default     = {}
}

variable "create_event_bus" {
  description = "Create an EventBridge bus for the tracker's events (`Deployment`, `Freeze`, `Unfreeze`; set `TRACKER_EVENT_BUS` to its name or ARN)."
  type        = bool
  default     = false
  nullable    = false
}

variable "event_bus_name" {
  description = "Name of the EventBridge bus created with `create_event_bus`."
  type        = string
  default     = "release-tracker"

  validation {
    condition     = can(regex("^[/.\\-_A-Za-z0-9]{1,256}$", var.event_bus_name)) && var.event_bus_name != "default"
    error_message = "event_bus_name must be 1-256 letters, digits, '.', '-', '_' or '/', and not 'default'."
  }
}
