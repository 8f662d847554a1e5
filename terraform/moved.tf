# State changes for deployments applied before the templates bucket and the
# dataset's access list, so that `apply` never leaves the worker without
# access, even for a moment.

# The worker's temp grant kept its role; only its address changed.
moved {
  from = google_storage_bucket_iam_member.worker_scratch["temp"]
  to   = google_storage_bucket_iam_member.worker_temp
}

# The worker's dataset role is now the WRITER entry of the dataset's access
# list. Destroying this resource would delete that entry, so it is only
# forgotten.
removed {
  from = google_bigquery_dataset_iam_member.worker

  lifecycle {
    destroy = false
  }
}
