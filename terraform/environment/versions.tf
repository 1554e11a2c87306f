terraform {
  required_version = ">= 1.5"

  # State lives wherever `terraform init -backend-config` says: the tracker's
  # adapter keeps one state per project and environment (see the README,
  # "How state is kept"). Switch to `backend "s3" {}` for a team.
  backend "local" {}

  required_providers {
    external = {
      source  = "hashicorp/external"
      version = ">= 2.3"
    }
  }
}
