# Dataflow staging (worker binaries) and the Flex Template spec files.
resource "google_storage_bucket" "staging" {
  name                        = "${var.project_id}-${var.name_prefix}-staging"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  # Each job stages its worker binary under staging/, each image build its
  # source and logs under build/; templates/ is kept.
  lifecycle_rule {
    condition {
      age            = 30
      matches_prefix = ["staging/", "build/"]
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.service]
}

# Dataflow temp files and the batch sink's load-job staging files.
resource "google_storage_bucket" "temp" {
  name                        = "${var.project_id}-${var.name_prefix}-temp"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  lifecycle_rule {
    condition {
      age = var.temp_retention_days
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.service]
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

  lifecycle {
    precondition {
      condition     = var.archive_nearline_after_days < var.archive_coldline_after_days && var.archive_coldline_after_days < var.archive_retention_days
      error_message = "Raw data must move to Nearline, then to Coldline, then be deleted: archive_nearline_after_days < archive_coldline_after_days < archive_retention_days."
    }
  }

  depends_on = [google_project_service.service]
}

# Pub/Sub's service agent writes the raw archive.
resource "google_storage_bucket_iam_member" "archive_writer" {
  bucket = google_storage_bucket.raw["archive"].name
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  depends_on = [google_project_service.service]
}

resource "google_storage_bucket_iam_member" "archive_bucket_reader" {
  bucket = google_storage_bucket.raw["archive"].name
  role   = "roles/storage.legacyBucketReader"
  member = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  depends_on = [google_project_service.service]
}
