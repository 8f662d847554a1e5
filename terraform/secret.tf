# The pseudonymization (HMAC) key. Terraform creates the secret and who may
# read it, never its value: a value set here would sit in the Terraform
# state. Add it once with
#   openssl rand -hex 32 | gcloud secrets versions add <name> --data-file=-
# and pass the version (a number, not "latest") to the pipeline as
# --hash_key=secret:projects/P/secrets/<name>/versions/1.
resource "google_secret_manager_secret" "hash_key" {
  secret_id = "${var.name_prefix}-hash-key"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.service]
}

# Readable by the worker account only.
resource "google_secret_manager_secret_iam_member" "worker" {
  secret_id = google_secret_manager_secret.hash_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.worker
}
