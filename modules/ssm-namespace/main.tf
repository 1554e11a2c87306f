# IAM policy documents for one project's SSM namespace and its rows in the
# tracking tables. Parameter ARNs are exact paths. The deployments table and
# the releases table's GSIs are partitioned by project_id, so access there is
# limited to the project's partition with dynamodb:LeadingKeys. The releases
# table itself is keyed by release_id (as the RFC specifies), so IAM cannot
# scope its items to a project: the tracker checks each release's project.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  parameter_arn_prefix = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter/${var.project_id}"

  images_path      = "${local.parameter_arn_prefix}/images"
  deployments_path = "${local.parameter_arn_prefix}/deployments"

  # GetParametersByPath is authorised against the path itself; the others
  # against each parameter below it.
  read_images      = [local.images_path, "${local.images_path}/*"]
  read_deployments = [local.deployments_path, "${local.deployments_path}/*"]

  ssm_read_actions = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"]
  table_read       = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"]
  table_write      = ["dynamodb:PutItem", "dynamodb:UpdateItem"]

  leading_key_is_project = {
    test     = "ForAllValues:StringEquals"
    variable = "dynamodb:LeadingKeys"
    values   = [var.project_id]
  }
}

data "aws_iam_policy_document" "publisher" {
  statement {
    sid       = "PublishImages"
    actions   = ["ssm:PutParameter", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory", "ssm:LabelParameterVersion"]
    resources = ["${local.images_path}/*"]
  }
}

# The reader's statements are the deployer's read half too.
data "aws_iam_policy_document" "reader" {
  statement {
    sid       = "ReadImagesAndDeployments"
    actions   = local.ssm_read_actions
    resources = concat(local.read_images, local.read_deployments)
  }

  statement {
    sid       = "ReadReleases"
    actions   = local.table_read
    resources = [var.releases_table_arn]
  }

  statement {
    sid       = "QueryProjectReleaseIndexes"
    actions   = ["dynamodb:Query"]
    resources = ["${var.releases_table_arn}/index/*"]

    condition {
      test     = local.leading_key_is_project.test
      variable = local.leading_key_is_project.variable
      values   = local.leading_key_is_project.values
    }
  }

  statement {
    sid       = "ReadProjectDeploymentRows"
    actions   = local.table_read
    resources = [var.deployments_table_arn]

    condition {
      test     = local.leading_key_is_project.test
      variable = local.leading_key_is_project.variable
      values   = local.leading_key_is_project.values
    }
  }
}

data "aws_iam_policy_document" "deployer" {
  source_policy_documents = [data.aws_iam_policy_document.reader.json]

  statement {
    sid       = "WriteDeployments"
    actions   = ["ssm:PutParameter"]
    resources = ["${local.deployments_path}/*"]
  }

  statement {
    sid       = "WriteReleases"
    actions   = local.table_write
    resources = [var.releases_table_arn]
  }

  statement {
    sid       = "WriteProjectDeploymentRows"
    actions   = local.table_write
    resources = [var.deployments_table_arn]

    condition {
      test     = local.leading_key_is_project.test
      variable = local.leading_key_is_project.variable
      values   = local.leading_key_is_project.values
    }
  }
}

locals {
  documents = {
    publisher = data.aws_iam_policy_document.publisher.json
    deployer  = data.aws_iam_policy_document.deployer.json
    reader    = data.aws_iam_policy_document.reader.json
  }
}

resource "aws_iam_policy" "this" {
  for_each = var.create_policies ? local.documents : {}

  name        = "${var.policy_name_prefix}-${var.project_id}-${each.key}"
  description = "RFC 013 release tracking: ${each.key} of project ${var.project_id}"
  policy      = each.value
  tags        = var.tags
}
