# IAM policy documents for one project's SSM namespace and its rows in the
# tracking tables. Parameter ARNs are exact paths. Every table item is scoped
# to the project with dynamodb:LeadingKeys: the deployments table and the
# releases GSIs are partitioned by project_id, and release ids are
# "{project_id}:{uuid}", so "{project_id}:*" is exactly the project's releases
# (":" never occurs in a project id).
#
# ForAllValues conditions hold vacuously for requests that carry no leading
# keys (Scan, for one), so they only ever guard actions that always name a key.

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
  item_read        = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"]
  item_write       = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
  # Releases recorded before ids carried the project (bare UUIDs): IAM cannot
  # tell whose they are. Only ids without ":" match, so even with the legacy
  # access on, new-style releases of other projects stay out of reach.
  legacy_release_ids = ["*:*"]

  # Publishing checks that an ECR tag exists and creating a release pins it to its
  # digest (ecr:DescribeImages, read-only metadata): every repository of the
  # partition unless the caller names them; [] leaves the statement out.
  ecr_repositories = var.ecr_repository_arns == null ? ["arn:${data.aws_partition.current.partition}:ecr:*:*:repository/*"] : var.ecr_repository_arns
}

# Looking up ECR images (publish checks that a tag exists, release create pins it to its
# digest): part of the publisher's and of the deployer's documents; empty with [] repositories.
data "aws_iam_policy_document" "ecr_lookup" {
  dynamic "statement" {
    for_each = length(local.ecr_repositories) > 0 ? ["ReadImageDigests"] : []

    content {
      sid       = statement.value
      actions   = ["ecr:DescribeImages"]
      resources = local.ecr_repositories
    }
  }
}

data "aws_iam_policy_document" "publisher" {
  source_policy_documents = [data.aws_iam_policy_document.ecr_lookup.json]

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

  # The tracker finds the GSIs of tables it did not create by their key schema.
  statement {
    sid       = "DescribeTrackingTables"
    actions   = ["dynamodb:DescribeTable"]
    resources = [var.releases_table_arn, var.deployments_table_arn]
  }

  statement {
    sid       = "ReadProjectReleases"
    actions   = local.item_read
    resources = [var.releases_table_arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["${var.project_id}:*"]
    }
  }

  statement {
    sid       = "QueryProjectReleaseIndexes"
    actions   = ["dynamodb:Query"]
    resources = ["${var.releases_table_arn}/index/*"]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = [var.project_id]
    }
  }

  statement {
    sid       = "ReadProjectDeploymentRows"
    actions   = concat(local.item_read, ["dynamodb:Query"])
    resources = [var.deployments_table_arn]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = [var.project_id]
    }
  }

  dynamic "statement" {
    for_each = var.allow_legacy_release_ids ? ["ReadLegacyReleases"] : []

    content {
      sid       = statement.value
      actions   = local.item_read
      resources = [var.releases_table_arn]

      condition {
        test     = "ForAllValues:StringNotLike"
        variable = "dynamodb:LeadingKeys"
        values   = local.legacy_release_ids
      }
    }
  }
}

data "aws_iam_policy_document" "deployer" {
  source_policy_documents = [data.aws_iam_policy_document.reader.json, data.aws_iam_policy_document.ecr_lookup.json]

  statement {
    sid       = "WriteDeployments"
    actions   = ["ssm:PutParameter"]
    resources = ["${local.deployments_path}/*"]
  }

  statement {
    sid       = "WriteProjectReleases"
    actions   = local.item_write
    resources = [var.releases_table_arn]

    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["${var.project_id}:*"]
    }
  }

  statement {
    sid       = "WriteProjectDeploymentRows"
    actions   = local.item_write
    resources = [var.deployments_table_arn]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = [var.project_id]
    }
  }

  # `tracker wait` reads whether ECS runs a deployment: it lists clusters and services (these
  # two and DescribeTaskDefinition support no resource-level permissions), describes the
  # services of this account and region, and reads the environment's CloudWatch alarms.
  dynamic "statement" {
    for_each = var.allow_rollout_checks ? ["FindEcsServices"] : []

    content {
      sid       = statement.value
      actions   = ["ecs:ListClusters", "ecs:ListServices", "ecs:DescribeTaskDefinition"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.allow_rollout_checks ? ["DescribeEcsServices"] : []

    content {
      sid       = statement.value
      actions   = ["ecs:DescribeServices"]
      resources = ["arn:${data.aws_partition.current.partition}:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:service/*"]
    }
  }

  dynamic "statement" {
    for_each = var.allow_rollout_checks ? ["ReadRolloutAlarms"] : []

    content {
      sid       = statement.value
      actions   = ["cloudwatch:DescribeAlarms"]
      resources = ["arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:alarm:*"]
    }
  }

  # Deployments, freezes and unfreezes are announced on the project's event bus, if any.
  dynamic "statement" {
    for_each = length(var.event_bus_arns) > 0 ? ["SendTrackerEvents"] : []

    content {
      sid       = statement.value
      actions   = ["events:PutEvents"]
      resources = var.event_bus_arns
    }
  }

  # Deploying a legacy release appends to its manifest (UpdateItem); new
  # releases always get new-style ids, so no PutItem here.
  dynamic "statement" {
    for_each = var.allow_legacy_release_ids ? ["DeployLegacyReleases"] : []

    content {
      sid       = statement.value
      actions   = ["dynamodb:UpdateItem"]
      resources = [var.releases_table_arn]

      condition {
        test     = "ForAllValues:StringNotLike"
        variable = "dynamodb:LeadingKeys"
        values   = local.legacy_release_ids
      }
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
