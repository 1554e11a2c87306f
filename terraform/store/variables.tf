variable "project_file" {
  description = "Path to the project manifest (`.wellcome_project`) whose SSM namespace to provision. Default: the RFC's bugfarm example in this repository."
  type        = string
  default     = "../../examples/bugfarm/.wellcome_project"
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
