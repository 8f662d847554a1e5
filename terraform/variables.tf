variable "project_id" {
  description = "Google Cloud project that holds every resource of the pipeline."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lower-case letters, digits and hyphens), not a project name or number."
  }
}

variable "region" {
  description = "Region of the buckets, the BigQuery dataset's location and the Dataflow jobs, e.g. europe-west1."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a single Google Cloud region such as europe-west1 (BigQuery multi-regions are not used: Dataflow and the buckets live in one region)."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (topic, subscriptions, buckets after the project ID, service account, secret)."
  type        = string
  default     = "clickstream"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-20 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "dataset_id" {
  description = "BigQuery dataset of the star schema and its views."
  type        = string
  default     = "clickstream"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]{0,1023}$", var.dataset_id))
    error_message = "dataset_id may hold only letters, digits and underscores."
  }
}

variable "partition_expiration_days" {
  description = "Days after which a partition of every partitioned table is deleted by BigQuery; null keeps partitions forever."
  type        = number
  default     = null

  validation {
    condition     = var.partition_expiration_days == null || try(var.partition_expiration_days >= 1 && floor(var.partition_expiration_days) == var.partition_expiration_days, false)
    error_message = "partition_expiration_days must be a whole number of days, at least 1, or null."
  }
}

variable "partition_expiration_overrides" {
  description = "Per-table partition expiration in days, overriding partition_expiration_days. Keys are table names from schemas/tables; dead_letter must be among them (its rows hold raw payloads). Setting this replaces the default map, so restate dead_letter."
  type        = map(number)
  # dead_letter keeps every record the pipeline could not use, with its
  # payload. Its uses (triage of a spike, checking a fix with a backfill) look
  # back days to weeks; 90 days covers a quarter. Kept longer, its payloads
  # would be personal data held for no use, and the ones the scrubber is least
  # sure of (they failed to parse). The raw archive keeps every original for
  # archive_retention_days anyway.
  default = { dead_letter = 90 }

  validation {
    condition     = alltrue([for d in values(var.partition_expiration_overrides) : d >= 1 && floor(d) == d])
    error_message = "Every partition_expiration_overrides value must be a whole number of days, at least 1."
  }

  validation {
    condition     = contains(keys(var.partition_expiration_overrides), "dead_letter")
    error_message = "partition_expiration_overrides must give dead_letter a retention (default 90 days): its rows hold raw payloads and must not be kept forever by accident."
  }
}

variable "dataset_readers" {
  description = "Who may read the dataset's tables and views, as IAM members: group:G, user:U, serviceAccount:S or domain:D. Project owners own the dataset and the worker account writes it; nobody else has access through the dataset (project-level BigQuery roles still apply)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.dataset_readers : can(regex("^(group|user|serviceAccount|domain):[^:\\s]+$", m))])
    error_message = "Each dataset reader must be group:EMAIL, user:EMAIL, serviceAccount:EMAIL or domain:DOMAIN."
  }
}

variable "kms_key_name" {
  description = "Cloud KMS key (projects/P/locations/REGION/keyRings/R/cryptoKeys/K) that encrypts the buckets, the dataset's tables and the topic; null (default) keeps Google-managed encryption. Set it before the first apply: tables cannot change key in place."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be a key's full name: projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}

variable "deletion_protection" {
  description = "Refuse to destroy the BigQuery tables (set to false only to tear a test environment down)."
  type        = bool
  default     = true
}

variable "ack_deadline_seconds" {
  description = "Ack deadline of the pipeline's subscription; the reader extends it while it holds a message."
  type        = number
  default     = 60

  validation {
    condition     = var.ack_deadline_seconds >= 10 && var.ack_deadline_seconds <= 600
    error_message = "ack_deadline_seconds must be between 10 and 600 (Pub/Sub's limits)."
  }
}

variable "subscription_retention_days" {
  description = "How long the pipeline's subscription keeps unacknowledged messages (a stopped job can catch up within this)."
  type        = number
  default     = 7

  validation {
    condition     = var.subscription_retention_days >= 1 && var.subscription_retention_days <= 7 && floor(var.subscription_retention_days) == var.subscription_retention_days
    error_message = "subscription_retention_days must be a whole number from 1 to 7 (Pub/Sub's maximum for a subscription)."
  }
}

variable "archive_file_max_minutes" {
  description = "The raw archive closes a Cloud Storage file after this many minutes (or 100 MB), so files land in the folder of the hour they were received in."
  type        = number
  default     = 5

  validation {
    condition     = var.archive_file_max_minutes >= 1 && var.archive_file_max_minutes <= 10
    error_message = "archive_file_max_minutes must be between 1 and 10 (Pub/Sub's limits for Cloud Storage subscriptions)."
  }
}

variable "archive_nearline_after_days" {
  description = "Raw archive and landing objects move to Nearline storage after this many days."
  type        = number
  default     = 30

  validation {
    condition     = var.archive_nearline_after_days >= 1
    error_message = "archive_nearline_after_days must be at least 1."
  }
}

variable "archive_coldline_after_days" {
  description = "Raw archive and landing objects move to Coldline storage after this many days."
  type        = number
  default     = 90

  validation {
    condition     = var.archive_coldline_after_days >= 1
    error_message = "archive_coldline_after_days must be at least 1."
  }
}

variable "archive_retention_days" {
  description = "Raw archive and landing objects are deleted after this many days: the window in which a backfill can rebuild the tables from raw data."
  type        = number
  default     = 400

  validation {
    condition     = var.archive_retention_days >= 7
    error_message = "archive_retention_days must be at least 7: the daily batch reads the previous days' files."
  }
}

variable "temp_retention_days" {
  description = "Objects in the Dataflow temp bucket (load-job staging files, shuffle spill) are deleted after this many days."
  type        = number
  default     = 7

  validation {
    condition     = var.temp_retention_days >= 1
    error_message = "temp_retention_days must be at least 1."
  }
}

variable "staging_retention_days" {
  description = "Worker binaries and pipeline models that each launch stages are deleted after this many days. A job's workers download its binary whenever one starts, so a streaming job must be updated (make update stages anew) within this many days."
  type        = number
  default     = 90

  validation {
    condition     = var.staging_retention_days >= 7
    error_message = "staging_retention_days must be at least 7."
  }
}

variable "streaming_job_name" {
  description = "Name of the streaming Dataflow job (make deploy JOB_NAME=...); the freshness and dead-letter alerts watch it."
  type        = string
  default     = "clickstream-streaming"

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.streaming_job_name))
    error_message = "streaming_job_name must be a valid Dataflow job name: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "notification_channels" {
  description = "Cloud Monitoring notification channel IDs (projects/P/notificationChannels/N) that every alert notifies."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", c))])
    error_message = "Each notification channel must be a full ID: projects/P/notificationChannels/N."
  }
}

variable "backlog_age_alert_minutes" {
  description = "Alert when the oldest unacknowledged message on the pipeline's subscription is older than this."
  type        = number
  default     = 15

  validation {
    condition     = var.backlog_age_alert_minutes >= 1
    error_message = "backlog_age_alert_minutes must be at least 1."
  }
}

variable "freshness_alert_minutes" {
  description = "Alert when the streaming job's data watermark, up to which fact_events holds every event, is older than this."
  type        = number
  default     = 30

  validation {
    condition     = var.freshness_alert_minutes >= 1
    error_message = "freshness_alert_minutes must be at least 1."
  }
}

variable "dead_letter_alert_ratio" {
  description = "Alert when dead letters exceed this share of the records the streaming job parsed (events + dead letters) over 15 minutes."
  type        = number
  default     = 0.05

  validation {
    condition     = var.dead_letter_alert_ratio > 0 && var.dead_letter_alert_ratio < 1
    error_message = "dead_letter_alert_ratio must be a fraction between 0 and 1."
  }
}

# Retention and erasure (README, Erasure and retention).
#
# What tools/erase removes from the tables and the raw archive can linger
# where the project does not rewrite it; this file keeps each of those places
# as short as the platform allows:
#
#   - BigQuery time travel keeps changed and deleted rows readable for
#     max_time_travel_hours (bigquery.tf); 48 hours is BigQuery's minimum.
#   - BigQuery fail-safe keeps them 7 more days, readable only by Google
#     support; it cannot be set.
#   - The raw buckets keep no soft-deleted or noncurrent copy (storage.tf):
#     the old object an erasure replaces is gone when it is deleted.
#   - Pub/Sub keeps acknowledged messages subscription_retention_days
#     (pubsub.tf) for replays: an erased person's messages can be replayed
#     within that window, and the pipeline's erased-keys filter drops them.
#
# Per-table retention is the partition expiration of bigquery.tf
# (partition_expiration_days, partition_expiration_overrides): dead_letter
# 90 days by default, raw objects archive_retention_days (400), facts as
# long as the business keeps them (null).
#
# A rewritten raw object is a new object: its age restarts, and deleting the
# old one early from Nearline (30-day minimum) or Coldline (90-day minimum)
# is billed as if it had been kept the minimum: at list prices at most about
# $0.010 per rewritten GB from Nearline and $0.012 from Coldline, once. The
# new object's customTime must be the old one's creation time (the local
# rewrite keeps the modification time; the gs:// rewrite is not written
# yet); the raw buckets' days_since_custom_time rule then deletes it when
# the original would have been deleted.

variable "max_time_travel_hours" {
  description = "BigQuery time travel window of the dataset, in hours (48 to 168, a multiple of 24). Erased rows stay readable through time travel this long; 48, the minimum, is the default."
  type        = number
  default     = 48

  validation {
    condition     = var.max_time_travel_hours >= 48 && var.max_time_travel_hours <= 168 && var.max_time_travel_hours % 24 == 0
    error_message = "max_time_travel_hours must be 48 to 168 and a multiple of 24."
  }
}

variable "live_topic_consumers" {
  description = "The live-analytics topics (abandonment: --abandonment_topic, anomalies: --anomaly_topic) and, for each, the consumers that get a subscription <prefix>-<topic>-<consumer>."
  type        = map(list(string))
  default = {
    abandonment = ["email"]
    anomalies   = ["oncall"]
  }

  validation {
    condition     = length(setsubtract(keys(var.live_topic_consumers), ["abandonment", "anomalies"])) == 0 && alltrue([for cs in values(var.live_topic_consumers) : alltrue([for c in cs : can(regex("^[a-z][a-z0-9-]{0,30}$", c))])])
    error_message = "Topics are abandonment and anomalies; consumers are lowercase names (letters, digits, dashes)."
  }
}

variable "anomaly_alert_threshold" {
  description = "Alert when more than this many anomaly messages are published to the anomalies topic in 5 minutes (0: on any)."
  type        = number
  default     = 0

  validation {
    condition     = var.anomaly_alert_threshold >= 0
    error_message = "anomaly_alert_threshold must be >= 0."
  }
}
