variable "project_id" {
  description = "The project's id from its manifest (`project.id`): the first segment of `/{project_id}/images/...` and `/{project_id}/deployments/...`."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.project_id)) && !can(regex("^([aA][wW][sS]|[sS][sS][mM]|\\.+$)", var.project_id))
    error_message = "The project_id must be SSM-path-safe: 1 to 128 of letters, digits, '.', '_' or '-', not starting with 'aws' or 'ssm', not only dots."
  }
}

variable "releases_table_arn" {
  description = "ARN of the releases table (output `releases_table_arn` of the tracking-store module)."
  type        = string
}

variable "deployments_table_arn" {
  description = "ARN of the deployments table (output `deployments_table_arn` of the tracking-store module)."
  type        = string
}

variable "allow_legacy_release_ids" {
  description = "Whether readers and deployers may also read and deploy releases whose ids carry no project (bare UUIDs, recorded before ids were `{project_id}:{uuid}`). IAM cannot tell which project such a release belongs to, so this grants them for every project; ids with `:` stay scoped. Off by default."
  type        = bool
  default     = false
}

variable "ecr_repository_arns" {
  description = "ECR repositories whose images the publisher and the deployer may look up (`ecr:DescribeImages`: publishing checks a tag exists, a release pins it to its digest). `null`: every repository (read-only metadata); `[]`: no ECR statement (with `TRACKER_PIN_IMAGES=off`). A registry in another account must also allow the role in its repository policy."
  type        = list(string)
  default     = null
}

variable "create_policies" {
  description = "Whether to create IAM managed policies from the documents (`true`), or only output the JSON (`false`)."
  type        = bool
  default     = false
}

variable "policy_name_prefix" {
  description = "Prefix of the managed policies' names when `create_policies` is `true`; the role (`publisher`, `deployer`, `reader`) is appended."
  type        = string
  default     = "release-tracker"
}

variable "tags" {
  description = "Tags added to the managed policies."
  type        = map(string)
  default     = {}
}

variable "event_bus_arns" {
  description = "EventBridge buses the deployer may send the tracker's events to (`events:PutEvents`; e.g. the tracking-store module's `event_bus_arn`). `[]`: no events statement."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "allow_rollout_checks" {
  description = "Whether deployers may read what `tracker wait` needs to know that ECS runs a deployment: ecs:ListClusters, ecs:ListServices and ecs:DescribeTaskDefinition (no resource-level permissions exist for them), ecs:DescribeServices on this account's services and cloudwatch:DescribeAlarms on its alarms. Read-only."
  type        = bool
  default     = true
}
