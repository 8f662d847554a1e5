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
