# The identity of the Dataflow workers and of the Flex Template launcher:
# it reads the pipeline's subscription, the raw buckets and the hashing key,
# writes the dataset, and nothing else.
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

resource "google_bigquery_dataset_iam_member" "worker" {
  dataset_id = google_bigquery_dataset.clickstream.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = local.worker
}

resource "google_storage_bucket_iam_member" "worker_scratch" {
  for_each = {
    staging = google_storage_bucket.staging.name
    temp    = google_storage_bucket.temp.name
  }

  bucket = each.value
  role   = "roles/storage.objectAdmin"
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
# the template repository and keeps its source and logs in the staging
# bucket, so new projects need no grants to Cloud Build's default account.
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
  bucket = google_storage_bucket.staging.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.builder.email}"
}
