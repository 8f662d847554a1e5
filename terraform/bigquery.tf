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
}

resource "google_bigquery_dataset" "clickstream" {
  dataset_id  = var.dataset_id
  location    = var.region
  description = "Clickstream star schema written by the clickstream pipeline, and its views."
  labels      = local.labels

  lifecycle {
    precondition {
      condition     = alltrue([for name in keys(var.partition_expiration_overrides) : contains(keys(local.tables), name)])
      error_message = "Every key of partition_expiration_overrides must name a table in schemas/tables."
    }
  }

  depends_on = [google_project_service.service]
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

  dynamic "time_partitioning" {
    for_each = try(each.value.time_partitioning.field, "") != "" ? [each.value.time_partitioning] : []
    content {
      type          = time_partitioning.value.type
      field         = time_partitioning.value.field
      expiration_ms = local.partition_expiration_days[each.key] == null ? null : local.partition_expiration_days[each.key] * 86400000
    }
  }
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
