# Benchmark diagnostic (bench/run.py, full runs): the baseline root plus the
# `hashicorp/external` provider running a program that does nothing. Its plan
# time minus the baseline's is what the provider itself costs (with the offline
# stand-in of .terraformrc, a Python process); the stage root's time minus this
# one's is what the tracker's program and the module cost.

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    external = {
      source  = "hashicorp/external"
      version = ">= 2.3"
    }
  }
}

variable "local_emulator" {
  description = "Whether AWS is a local emulator (skips the provider's credential, account and metadata checks)."
  type        = bool
  default     = false
}

variable "python" {
  description = "Python interpreter running the no-op program."
  type        = string
  default     = "python3"
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

# The cheapest program the external data source can run: a bare interpreter printing {}.
data "external" "noop" {
  program = [var.python, "-S", "-c", "print('{}')"]
}

output "parameter_names" {
  description = "The deployment parameters read (their values are sensitive)."
  value       = data.aws_ssm_parameters_by_path.deployed.names
}
