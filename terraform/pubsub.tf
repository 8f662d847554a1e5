resource "google_pubsub_topic" "events" {
  name         = "${var.name_prefix}-events"
  labels       = local.labels
  kms_key_name = var.kms_key_name

  depends_on = [google_project_service.service, google_kms_crypto_key_iam_member.agent]
}

# The streaming pipeline's subscription. No dead-letter policy: Dataflow acks
# messages on its own checkpoints and does not support one on the
# subscription it reads; records the pipeline cannot use go to its own
# dead_letter table instead.
resource "google_pubsub_subscription" "pipeline" {
  name   = "${var.name_prefix}-pipeline"
  topic  = google_pubsub_topic.events.id
  labels = local.labels

  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = "${var.subscription_retention_days * 86400}s"
  retain_acked_messages      = false

  # Never delete the subscription for inactivity (Pub/Sub's default deletes
  # a subscription after 31 days without a subscriber): a drained job's
  # backlog must still be there when the next job starts. Subscriptions that
  # `--topic` runs create (clickstream-<run id>) are not Terraform's: the
  # pipeline gives them an expiration policy of their own.
  expiration_policy {
    ttl = ""
  }
}

# The raw archive: every message on the topic, as published, written to
# gs://<archive>/raw/YYYY-MM-DD/hh/ by the hour (UTC) in which Pub/Sub
# received it. Text files, one message per line, so the batch pipeline reads
# them like the landing files (make backfill).
resource "google_pubsub_subscription" "raw_archive" {
  name   = "${var.name_prefix}-raw-archive"
  topic  = google_pubsub_topic.events.id
  labels = local.labels

  message_retention_duration = "${var.subscription_retention_days * 86400}s"

  expiration_policy {
    ttl = ""
  }

  cloud_storage_config {
    bucket                   = google_storage_bucket.raw["archive"].name
    filename_prefix          = "raw/"
    filename_datetime_format = "YYYY-MM-DD/hh/mm_ssZ"
    filename_suffix          = ".jsonl"
    max_duration             = "${var.archive_file_max_minutes * 60}s"
    max_bytes                = 100000000
  }

  depends_on = [
    google_storage_bucket_iam_member.archive_writer,
    google_storage_bucket_iam_member.archive_bucket_reader,
  ]
}

# The live-analytics topics the streaming job publishes to: cart_abandonment
# rows (--abandonment_topic, trigger_id attribute) and live_anomalies rows
# (--anomaly_topic, anomaly_id attribute), as JSON. Publishing is
# at-least-once: consumers deduplicate on the id attribute.
resource "google_pubsub_topic" "live" {
  for_each = var.live_topic_consumers

  name         = "${var.name_prefix}-${each.key}"
  labels       = local.labels
  kms_key_name = var.kms_key_name

  depends_on = [google_project_service.service, google_kms_crypto_key_iam_member.agent]
}

# One subscription per consumer of each live topic (e.g. the email platform
# on abandonment), each with its own backlog.
resource "google_pubsub_subscription" "live" {
  for_each = { for pair in flatten([for topic, consumers in var.live_topic_consumers : [for c in consumers : { topic = topic, consumer = c }]]) : "${pair.topic}-${pair.consumer}" => pair }

  name   = "${var.name_prefix}-${each.key}"
  topic  = google_pubsub_topic.live[each.value.topic].id
  labels = local.labels

  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = "${var.subscription_retention_days * 86400}s"

  expiration_policy {
    ttl = ""
  }
}
