# The identity of the Dataflow workers and of the Flex Template launcher VM
# (the launcher runs as the job's service account: `gcloud dataflow
# flex-template run` has no flag for a launcher account of its own). It reads
# the pipeline's subscription, the raw buckets and the hashing key, writes the
# dataset and its own temp files, stages new jobs, and nothing else. It can
# change neither what a future job runs (the template and the image are
# read-only to it) nor what a running job staged.
resource "google_service_account" "worker" {
  account_id   = "${var.name_prefix}-worker"
  display_name = "Clickstream Dataflow worker"

  depends_on = [google_project_service.service]
}

locals {
  worker = "serviceAccount:${google_service_account.worker.email}"
}

# Project-level roles a Dataflow worker cannot do without: run work items,
# and run BigQuery load jobs (the batch sink).
resource "google_project_iam_member" "worker" {
  for_each = toset(["roles/dataflow.worker", "roles/bigquery.jobUser"])

  project = var.project_id
  role    = each.value
  member  = local.worker
}

resource "google_pubsub_subscription_iam_member" "worker" {
  for_each = toset(["roles/pubsub.subscriber", "roles/pubsub.viewer"])

  subscription = google_pubsub_subscription.pipeline.name
  role         = each.value
  member       = local.worker
}

# The streaming job publishes cart_abandonment and live_anomalies rows.
resource "google_pubsub_topic_iam_member" "worker_live" {
  for_each = google_pubsub_topic.live

  topic  = each.value.name
  role   = "roles/pubsub.publisher"
  member = local.worker
}

# Temp: the workers' scratch (Dataflow temp files, load-job staging files),
# which they write, overwrite and delete.
resource "google_storage_bucket_iam_member" "worker_temp" {
  bucket = google_storage_bucket.temp.name
  role   = "roles/storage.objectAdmin"
  member = local.worker
}

# Staging: the launcher uploads each job's binary and model under a new name
# (objectCreator: create only; replacing or deleting an object needs
# storage.objects.delete, which no role here has); workers read them
# (objectViewer); Beam checks that the bucket exists before uploading
# (legacyBucketReader: storage.buckets.get).
resource "google_storage_bucket_iam_member" "worker_staging" {
  for_each = toset(["roles/storage.objectCreator", "roles/storage.objectViewer", "roles/storage.legacyBucketReader"])

  bucket = google_storage_bucket.staging.name
  role   = each.value
  member = local.worker
}

# Templates: read-only, in case the launcher VM reads the template spec (the
# Dataflow service reads it for the caller of the launch).
resource "google_storage_bucket_iam_member" "worker_templates" {
  bucket = google_storage_bucket.templates.name
  role   = "roles/storage.objectViewer"
  member = local.worker
}

resource "google_storage_bucket_iam_member" "worker_raw" {
  for_each = google_storage_bucket.raw

  bucket = each.value.name
  role   = "roles/storage.objectViewer"
  member = local.worker
}

# The Flex Template launcher pulls the template image as the worker.
resource "google_artifact_registry_repository_iam_member" "worker" {
  location   = google_artifact_registry_repository.templates.location
  repository = google_artifact_registry_repository.templates.name
  role       = "roles/artifactregistry.reader"
  member     = local.worker
}

# The identity of `make template`'s image build (Cloud Build): it pushes to
# the template repository and keeps its source and logs in the templates
# bucket, so new projects need no grants to Cloud Build's default account.
# It builds what jobs run, so it is trusted with the templates bucket.
resource "google_service_account" "builder" {
  account_id   = "${var.name_prefix}-builder"
  display_name = "Clickstream template image builder"

  depends_on = [google_project_service.service]
}

resource "google_artifact_registry_repository_iam_member" "builder" {
  location   = google_artifact_registry_repository.templates.location
  repository = google_artifact_registry_repository.templates.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.builder.email}"
}

resource "google_storage_bucket_iam_member" "builder" {
  bucket = google_storage_bucket.templates.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.builder.email}"
}
