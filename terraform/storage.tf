# What jobs run: the Flex Template spec (templates/, written by `make
# template`) and the image build's source and logs (build/, Cloud Build as the
# builder account). No job identity can write here, so a worker cannot change
# what the next job runs.
resource "google_storage_bucket" "templates" {
  name                        = "${var.project_id}-${var.name_prefix}-templates"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  dynamic "encryption" {
    for_each = local.cmek ? [var.kms_key_name] : []
    content {
      default_kms_key_name = encryption.value
    }
  }

  # Each image build keeps its source and logs under build/; templates/ is kept.
  lifecycle_rule {
    condition {
      age            = 30
      matches_prefix = ["build/"]
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.service, google_kms_crypto_key_iam_member.agent]
}

# Dataflow staging: each launch uploads the worker binary and the pipeline
# model under staging/<unique id>/ (Beam's Dataflow runner, in the template
# launcher), and the launcher its result under staging/template_launches/.
# The worker account, which the launcher runs as, may create objects here but
# never replace or delete one (iam.tf): what a job staged stays what its
# workers download.
resource "google_storage_bucket" "staging" {
  name                        = "${var.project_id}-${var.name_prefix}-staging"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  dynamic "encryption" {
    for_each = local.cmek ? [var.kms_key_name] : []
    content {
      default_kms_key_name = encryption.value
    }
  }

  # Workers download their job's binary whenever one starts: a streaming job
  # older than this (without `make update`, which stages anew) could not
  # start new workers.
  lifecycle_rule {
    condition {
      age            = var.staging_retention_days
      matches_prefix = ["staging/"]
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.service, google_kms_crypto_key_iam_member.agent]
}

# The workers' scratch, the one bucket they may overwrite and delete in:
# Dataflow temp files and the batch sink's load-job staging files.
resource "google_storage_bucket" "temp" {
  name                        = "${var.project_id}-${var.name_prefix}-temp"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  dynamic "encryption" {
    for_each = local.cmek ? [var.kms_key_name] : []
    content {
      default_kms_key_name = encryption.value
    }
  }

  lifecycle_rule {
    condition {
      age = var.temp_retention_days
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.service, google_kms_crypto_key_iam_member.agent]
}

# Raw data the batch pipeline reads: "archive" is written by the raw archive
# subscription, "landing" by collectors that upload files (raw/YYYY-MM-DD/).
# Both age into colder storage and are deleted after archive_retention_days.
resource "google_storage_bucket" "raw" {
  for_each = toset(["archive", "landing"])

  name                        = "${var.project_id}-${var.name_prefix}-${each.key}"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  dynamic "encryption" {
    for_each = local.cmek ? [var.kms_key_name] : []
    content {
      default_kms_key_name = encryption.value
    }
  }

  lifecycle_rule {
    condition {
      age = var.archive_nearline_after_days
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  lifecycle_rule {
    condition {
      age = var.archive_coldline_after_days
    }
    action {
      type          = "SetStorageClass"
      storage_class = "COLDLINE"
    }
  }

  lifecycle_rule {
    condition {
      age = var.archive_retention_days
    }
    action {
      type = "Delete"
    }
  }

  # An object tools/erase rewrote is new to Cloud Storage; its customTime
  # keeps the original's creation time, so it is still deleted on time
  # (variables.tf, "Retention and erasure").
  lifecycle_rule {
    condition {
      days_since_custom_time = var.archive_retention_days
    }
    action {
      type = "Delete"
    }
  }

  # An erased object must not outlive the erasure as a soft-deleted or
  # noncurrent copy (variables.tf, "Retention and erasure").
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  versioning {
    enabled = false
  }

  lifecycle {
    precondition {
      condition     = var.archive_nearline_after_days < var.archive_coldline_after_days && var.archive_coldline_after_days < var.archive_retention_days
      error_message = "Raw data must move to Nearline, then to Coldline, then be deleted: archive_nearline_after_days < archive_coldline_after_days < archive_retention_days."
    }
  }

  depends_on = [google_project_service.service, google_kms_crypto_key_iam_member.agent]
}

# Pub/Sub's service agent writes the raw archive.
resource "google_storage_bucket_iam_member" "archive_writer" {
  bucket = google_storage_bucket.raw["archive"].name
  role   = "roles/storage.objectCreator"
  member = local.pubsub_agent

  depends_on = [google_project_service.service]
}

resource "google_storage_bucket_iam_member" "archive_bucket_reader" {
  bucket = google_storage_bucket.raw["archive"].name
  role   = "roles/storage.legacyBucketReader"
  member = local.pubsub_agent

  depends_on = [google_project_service.service]
}
