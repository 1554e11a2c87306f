# Read-only: what /{project}/deployments/{environment}/* holds, for stacks that
# only consume deployed images and must not need Python or the tracker.
data "aws_ssm_parameters_by_path" "this" {
  path      = "/${var.project_id}/deployments/${var.environment}"
  recursive = false
}

locals {
  # The provider marks `values` sensitive for every parameter type; these are
  # String parameters holding image URIs, which are not secrets.
  images = zipmap(
    [for name in data.aws_ssm_parameters_by_path.this.names : basename(name)],
    nonsensitive(data.aws_ssm_parameters_by_path.this.values),
  )
}
