# The RFC 013 tracking store: a releases table with the two GSIs the RFC
# suggests, and a deployments table keyed by project and environment.
# The index names are the ones the `tracker` library queries.

resource "aws_dynamodb_table" "releases" {
  name                        = var.releases_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "release_id"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "release_id"
    type = "S"
  }

  attribute {
    name = "project_id"
    type = "S"
  }

  attribute {
    name = "created_at"
    type = "N"
  }

  attribute {
    name = "deployed_at"
    type = "N"
  }

  global_secondary_index {
    name            = "latest_releases"
    hash_key        = "project_id"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "latest_deployments"
    hash_key        = "project_id"
    range_key       = "deployed_at"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_dynamodb_table" "deployments" {
  name                        = var.deployments_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "project_id"
  range_key                   = "environment_id"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "project_id"
    type = "S"
  }

  attribute {
    name = "environment_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

# Optional: the EventBridge bus the tracker announces deployments, freezes and
# unfreezes on (TRACKER_EVENT_BUS). Subscribers add rules to it (see the README).
resource "aws_cloudwatch_event_bus" "this" {
  count = var.create_event_bus ? 1 : 0

  name = var.event_bus_name
  tags = var.tags
}
