locals {
  tables_dir = "${path.module}/../schemas/tables"
  views_dir  = "${path.module}/../sql/views"

  # Every table, decoded from its definition in schemas/tables/<name>.json:
  # the one source of truth that the pipeline checks its tables against too.
  # Columns, partitioning and clustering are never restated here (a test in
  # this directory fails if they are).
  tables = {
    for f in fileset(local.tables_dir, "*.json") :
    trimsuffix(f, ".json") => jsondecode(file("${local.tables_dir}/${f}"))
  }

  # Every view: sql/views/<name>.sql, a template of its query.
  views = {
    for f in fileset(local.views_dir, "*.sql") :
    trimsuffix(f, ".sql") => "${local.views_dir}/${f}"
  }

  # Partition expiration per table, in days (null: never).
  partition_expiration_days = {
    for name in keys(local.tables) :
    name => lookup(var.partition_expiration_overrides, name, var.partition_expiration_days)
  }

  # The dataset's whole access list: the access blocks are authoritative, so
  # what is not here (the default projectWriters and projectReaders entries,
  # the creator) has no access through the dataset. Roles in the legacy form,
  # which the API returns, so plans show no change.
  dataset_access = concat(
    [
      { role = "OWNER", special_group = "projectOwners", user_by_email = null, group_by_email = null, domain = null },
      { role = "WRITER", special_group = null, user_by_email = google_service_account.worker.email, group_by_email = null, domain = null },
    ],
    [
      for m in var.dataset_readers : {
        role           = "READER"
        special_group  = null
        user_by_email  = contains(["user", "serviceAccount"], split(":", m)[0]) ? split(":", m)[1] : null
        group_by_email = split(":", m)[0] == "group" ? split(":", m)[1] : null
        domain         = split(":", m)[0] == "domain" ? split(":", m)[1] : null
      }
    ],
  )
}

resource "google_bigquery_dataset" "clickstream" {
  dataset_id  = var.dataset_id
  location    = var.region
  description = "Clickstream star schema written by the clickstream pipeline, and its views."
  labels      = local.labels

  # Time travel keeps deleted rows readable; erasure wants it short
  # (variables.tf, "Retention and erasure").
  max_time_travel_hours = var.max_time_travel_hours

  # The worker's WRITER entry is here rather than in a
  # google_bigquery_dataset_iam_member: the two would overwrite each other.
  dynamic "access" {
    for_each = local.dataset_access
    content {
      role           = access.value.role
      special_group  = access.value.special_group
      user_by_email  = access.value.user_by_email
      group_by_email = access.value.group_by_email
      domain         = access.value.domain
    }
  }

  # For tables created by other means (bq, a query's destination); the
  # tables declared here name the key themselves (below).
  dynamic "default_encryption_configuration" {
    for_each = local.cmek ? [var.kms_key_name] : []
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }

  lifecycle {
    precondition {
      condition     = alltrue([for name in keys(var.partition_expiration_overrides) : contains(keys(local.tables), name)])
      error_message = "Every key of partition_expiration_overrides must name a table in schemas/tables."
    }
  }

  depends_on = [google_project_service.service, google_kms_crypto_key_iam_member.agent]
}

resource "google_bigquery_table" "table" {
  for_each = local.tables

  dataset_id          = google_bigquery_dataset.clickstream.dataset_id
  table_id            = each.value.name
  description         = each.value.description
  schema              = jsonencode(each.value.schema)
  clustering          = length(try(each.value.clustering, [])) > 0 ? each.value.clustering : null
  deletion_protection = var.deletion_protection
  labels              = local.labels

  require_partition_filter = try(each.value.require_partition_filter, false)

  # Named on each table because the provider reads the key back: a table that
  # only inherited the dataset's default would show a change that replaces it.
  # Changing the key forces new tables, which deletion_protection refuses.
  dynamic "encryption_configuration" {
    for_each = local.cmek ? [var.kms_key_name] : []
    content {
      kms_key_name = encryption_configuration.value
    }
  }

  dynamic "time_partitioning" {
    for_each = try(each.value.time_partitioning.field, "") != "" ? [each.value.time_partitioning] : []
    content {
      type          = time_partitioning.value.type
      field         = time_partitioning.value.field
      expiration_ms = local.partition_expiration_days[each.key] == null ? null : local.partition_expiration_days[each.key] * 86400000
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.agent]
}

resource "google_bigquery_table" "view" {
  for_each = local.views

  dataset_id = google_bigquery_dataset.clickstream.dataset_id
  table_id   = each.key
  labels     = local.labels
  # A view holds no data: it is recreated from sql/views at will.
  deletion_protection = false

  view {
    query          = templatefile(each.value, { project = var.project_id, dataset = var.dataset_id })
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.table]
}
