variable "project_id" {
  description = "The project whose SSM namespace policies to output (`project.id` of its manifest; `tracker projects --quiet` prints it)."
  type        = string
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
