locals {
  # Customer-managed encryption: off unless kms_key_name names a key.
  cmek = var.kms_key_name != null

  # The Google service agents that encrypt and decrypt with the key on the
  # project's behalf: Cloud Storage (the buckets), BigQuery (the dataset's
  # tables) and Pub/Sub (the topic). Readers and writers of those resources
  # need no rights on the key.
  kms_agents = local.cmek ? {
    storage  = data.google_storage_project_service_account.this[0].member
    bigquery = data.google_bigquery_default_service_account.this[0].member
    pubsub   = local.pubsub_agent
  } : {}
}

# Both data sources call an API that creates the agent if it does not exist
# yet, so the grants below never name a missing account. Read only with a key:
# on a new project they need the APIs enabled first.
data "google_storage_project_service_account" "this" {
  count = local.cmek ? 1 : 0

  depends_on = [google_project_service.service]
}

data "google_bigquery_default_service_account" "this" {
  count = local.cmek ? 1 : 0

  depends_on = [google_project_service.service]
}

# The key itself is not managed here (its rotation, location and project are
# the key owner's decision); applying needs the right to set its IAM policy.
resource "google_kms_crypto_key_iam_member" "agent" {
  for_each = local.kms_agents

  crypto_key_id = var.kms_key_name
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value

  lifecycle {
    precondition {
      condition     = split("/", var.kms_key_name)[3] == var.region
      error_message = "kms_key_name must be a key in var.region: Cloud Storage and BigQuery only use a key in their own location."
    }
  }
}
