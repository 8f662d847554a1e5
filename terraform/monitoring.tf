locals {
  streaming_job = "resource.type = \"dataflow_job\" AND resource.labels.job_name = \"${var.streaming_job_name}\""

  # Beam counters reach Cloud Monitoring as dataflow.googleapis.com/job/user_counter,
  # the counter's name in the metric_name label; prepare.Prepare counts "events"
  # and "dead_letter".
  user_counter = "dataflow_googleapis_com:job_user_counter{monitored_resource=\"dataflow_job\",job_name=\"${var.streaming_job_name}\""

  # storagewrite's unwritable_rows counter in every job of the project.
  unwritable_rows = "dataflow_googleapis_com:job_user_counter{monitored_resource=\"dataflow_job\",metric_name=\"unwritable_rows\"}"
}

resource "google_monitoring_alert_policy" "backlog_age" {
  display_name          = "${var.name_prefix}: subscription backlog age"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "The oldest unacknowledged message on ${google_pubsub_subscription.pipeline.name} is older than ${var.backlog_age_alert_minutes} minutes: the streaming job is down, stuck or too small. Check the job (make deploy starts it; the Dataflow console shows its errors and autoscaling). Messages are kept ${var.subscription_retention_days} days."
  }

  conditions {
    display_name = "oldest unacked message older than ${var.backlog_age_alert_minutes} min"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${google_pubsub_subscription.pipeline.name}\" AND metric.type = \"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.backlog_age_alert_minutes * 60
      duration        = "300s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  depends_on = [google_project_service.service]
}

# BigQuery has no freshness metric. The streaming job's data watermark is the
# event time up to which every step, the fact_events write included, has
# processed all data; its age is how stale fact_events is. Its absence means
# no streaming job of that name is running.
resource "google_monitoring_alert_policy" "fact_events_freshness" {
  display_name          = "${var.name_prefix}: fact_events freshness"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "fact_events is more than ${var.freshness_alert_minutes} minutes behind event time, or the streaming job ${var.streaming_job_name} reports no watermark (not running). Measured as the job's data watermark age, not in BigQuery."
  }

  conditions {
    display_name = "data watermark older than ${var.freshness_alert_minutes} min"
    condition_threshold {
      filter          = "${local.streaming_job} AND metric.type = \"dataflow.googleapis.com/job/data_watermark_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.freshness_alert_minutes * 60
      duration        = "300s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  conditions {
    display_name = "no data watermark for 15 min (streaming job not running)"
    condition_absent {
      filter   = "${local.streaming_job} AND metric.type = \"dataflow.googleapis.com/job/data_watermark_age\""
      duration = "900s"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  depends_on = [google_project_service.service]
}

# user_counter is a gauge of each counter's running total, so the rate is
# taken in PromQL: dead letters over everything prepare.Prepare parsed.
resource "google_monitoring_alert_policy" "dead_letter_rate" {
  display_name          = "${var.name_prefix}: dead-letter rate"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "More than ${var.dead_letter_alert_ratio * 100}% of the records the streaming job parsed over 15 minutes went to the dead_letter table. Group dead_letter by reason for the day to see what changed (a client release, a collector change)."
  }

  conditions {
    display_name = "dead letters above ${var.dead_letter_alert_ratio * 100}% of parsed records"
    condition_prometheus_query_language {
      query               = <<-EOT
        sum(rate(${local.user_counter},metric_name="dead_letter"}[15m]))
        /
        (sum(rate(${local.user_counter},metric_name="events"}[15m])) + sum(rate(${local.user_counter},metric_name="dead_letter"}[15m])))
        > ${var.dead_letter_alert_ratio}
      EOT
      duration            = "300s"
      evaluation_interval = "60s"
    }
  }

  depends_on = [google_project_service.service]
}

# storagewrite counts unwritable_rows when BigQuery refuses even the minimal
# fallback dead-letter row of a message whose rows it rejected: the message
# is acked and in no table (the job logs its source position). Any increase
# is a loss to look at, in any job (streaming or batch, whatever its name).
# A counter is only reported once incremented, so a series that is new
# within the window counts as an increase too (`unless ... offset`).
resource "google_monitoring_alert_policy" "unwritable_rows" {
  display_name          = "${var.name_prefix}: rows BigQuery refused even as dead letters"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "A Dataflow job counted unwritable_rows: BigQuery rejected a message's rows and then the fallback dead_letter row that should have recorded it. The message was acknowledged and is in no table: the job logged its source position, and the raw archive holds the original. Find why BigQuery refused the dead_letter row (the job's log gives BigQuery's error), fix that, then backfill the day (make backfill)."
  }

  conditions {
    display_name = "unwritable_rows increased"
    condition_prometheus_query_language {
      query               = <<-EOT
        (increase(${local.unwritable_rows}[10m]) > 0)
        or
        (${local.unwritable_rows} > 0 unless ${local.unwritable_rows} offset 10m)
      EOT
      duration            = "0s"
      evaluation_interval = "60s"
    }
  }

  depends_on = [google_project_service.service]
}

# Cloud Monitoring cannot alert on BigQuery rows: the live_anomalies rows
# are also published to the anomalies topic, whose publish count is a
# Pub/Sub metric. Each message is one anomaly (metric, minute, direction);
# live_anomalies in BigQuery has the details.
resource "google_monitoring_alert_policy" "live_anomalies" {
  count = contains(keys(var.live_topic_consumers), "anomalies") ? 1 : 0

  display_name          = "${var.name_prefix}: traffic anomalies"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "The streaming job published anomalies to ${google_pubsub_topic.live["anomalies"].name}: a per-minute count (sessions, events, add to carts, purchases, purchase/checkout ratio) left its band. See live_anomalies in BigQuery (metric, direction, observed, expected, band); a purchase drop to zero is usually the checkout or the payment gateway."
  }

  conditions {
    display_name = "more than ${var.anomaly_alert_threshold} anomaly messages in 5 min"
    condition_threshold {
      filter          = "resource.type = \"pubsub_topic\" AND resource.labels.topic_id = \"${google_pubsub_topic.live["anomalies"].name}\" AND metric.type = \"pubsub.googleapis.com/topic/send_message_operation_count\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.anomaly_alert_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  depends_on = [google_project_service.service]
}
