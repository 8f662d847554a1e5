output "topic" {
  description = "Pub/Sub topic the collectors publish raw events to (--topic)."
  value       = google_pubsub_topic.events.id
}

output "subscription" {
  description = "The streaming pipeline's subscription (make deploy SUBSCRIPTION=...)."
  value       = google_pubsub_subscription.pipeline.id
}

output "template_bucket" {
  description = "Bucket of the Flex Template spec and the image build's source and logs, read-only to jobs (make ... TEMPLATE_BUCKET=...)."
  value       = google_storage_bucket.templates.name
}

output "staging_bucket" {
  description = "Bucket where each launch stages the worker binary; the worker may add objects, never replace them (make ... STAGING_BUCKET=...)."
  value       = google_storage_bucket.staging.name
}

output "temp_bucket" {
  description = "Bucket for Dataflow temp files (make ... TEMP_BUCKET=...)."
  value       = google_storage_bucket.temp.name
}

output "archive_bucket" {
  description = "Raw archive bucket: every Pub/Sub message under raw/YYYY-MM-DD/hh/ (make backfill ARCHIVE_BUCKET=...)."
  value       = google_storage_bucket.raw["archive"].name
}

output "landing_bucket" {
  description = "Landing bucket for uploaded raw files under raw/YYYY-MM-DD/ (make backfill LANDING_BUCKET=...)."
  value       = google_storage_bucket.raw["landing"].name
}

output "dataset" {
  description = "BigQuery dataset of the star schema (--bq_dataset)."
  value       = google_bigquery_dataset.clickstream.dataset_id
}

output "tables" {
  description = "Tables created from schemas/tables."
  value       = sort([for t in google_bigquery_table.table : t.table_id])
}

output "views" {
  description = "Views created from sql/views."
  value       = sort([for v in google_bigquery_table.view : v.table_id])
}

output "worker_service_account" {
  description = "Service account of the Dataflow workers and of the template launcher VM (make ... SERVICE_ACCOUNT=...)."
  value       = google_service_account.worker.email
}

output "builder_service_account" {
  description = "Service account of the template image build (make template BUILD_SERVICE_ACCOUNT=...)."
  value       = google_service_account.builder.email
}

output "hash_key_secret" {
  description = "Secret Manager secret of the pseudonymization key; add a version, then pass --hash_key=secret:<this>/versions/N."
  value       = google_secret_manager_secret.hash_key.id
}

output "template_repository" {
  description = "Artifact Registry repository for the Flex Template image (make template IMAGE_REPO=...)."
  value       = "${google_artifact_registry_repository.templates.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.templates.repository_id}"
}

output "make_variables" {
  description = "The make variables for the deploy targets, ready to paste or eval: each one deploy.mk defines, set to what this configuration created."
  value = join(" ", [
    "PROJECT=${var.project_id}",
    "REGION=${var.region}",
    "PREFIX=${var.name_prefix}",
    "TEMPLATE_BUCKET=${google_storage_bucket.templates.name}",
    "STAGING_BUCKET=${google_storage_bucket.staging.name}",
    "TEMP_BUCKET=${google_storage_bucket.temp.name}",
    "ARCHIVE_BUCKET=${google_storage_bucket.raw["archive"].name}",
    "LANDING_BUCKET=${google_storage_bucket.raw["landing"].name}",
    "SUBSCRIPTION=${google_pubsub_subscription.pipeline.id}",
    "ABANDONMENT_TOPIC=${try(google_pubsub_topic.live["abandonment"].id, "")}",
    "ANOMALY_TOPIC=${try(google_pubsub_topic.live["anomalies"].id, "")}",
    "DATASET=${google_bigquery_dataset.clickstream.dataset_id}",
    "SERVICE_ACCOUNT=${google_service_account.worker.email}",
    "BUILD_SERVICE_ACCOUNT=${google_service_account.builder.email}",
    "JOB_NAME=${var.streaming_job_name}",
    "IMAGE_REPO=${google_artifact_registry_repository.templates.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.templates.repository_id}",
  ])
}

output "live_topics" {
  description = "The live-analytics topics by name (abandonment: --abandonment_topic, anomalies: --anomaly_topic)."
  value       = { for k, t in google_pubsub_topic.live : k => t.id }
}

output "live_subscriptions" {
  description = "The consumers' subscriptions on the live topics, by <topic>-<consumer>."
  value       = { for k, s in google_pubsub_subscription.live : k => s.id }
}
