# Benchmark baseline (bench/run.py): the cheapest plan that reads what an
# environment runs -- the AWS provider and one SSM read of the stage
# deployment parameters. terraform/environments/stage's plan is measured
# against this root in the same run, so the ratio is the tracker's own cost.

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "local_emulator" {
  description = "Whether AWS is a local emulator (skips the provider's credential, account and metadata checks)."
  type        = bool
  default     = false
}

provider "aws" {
  skip_credentials_validation = var.local_emulator
  skip_requesting_account_id  = var.local_emulator
  skip_metadata_api_check     = var.local_emulator
}

data "aws_ssm_parameters_by_path" "deployed" {
  path      = "/bugfarm_73649/deployments/stage"
  recursive = true
}

output "parameter_names" {
  description = "The deployment parameters read (their values are sensitive)."
  value       = data.aws_ssm_parameters_by_path.deployed.names
}
