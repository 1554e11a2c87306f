terraform {
  required_version = ">= 1.5"

  # `make store` passes -backend-config=path=... (state outside the checkout's
  # folders); a team would use `backend "s3" {}` here.
  backend "local" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}
