# A stack that only reads what a project runs in an environment.
provider "aws" {
  skip_credentials_validation = var.local_emulator
  skip_requesting_account_id  = var.local_emulator
  skip_metadata_api_check     = var.local_emulator
}

variable "project_id" {
  description = "The project's id."
  type        = string
  default     = "bugfarm_73649"
}

variable "environment" {
  description = "The environment to read."
  type        = string
  default     = "prod"
}

variable "local_emulator" {
  description = "Whether AWS is a local emulator (`AWS_ENDPOINT_URL`): skips the provider's credential and account checks."
  type        = bool
  default     = false
}

module "deployed_images" {
  source = "../.."

  project_id  = var.project_id
  environment = var.environment
}

output "images" {
  description = "Service id to image URI deployed to the environment."
  value       = module.deployed_images.images
}
