data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # Services the pipeline, its deployment and its alerts use.
  services = [
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "dataflow.googleapis.com",
    "iam.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ]

  labels = { app = var.name_prefix }

  # Pub/Sub's service agent: it writes the raw archive and, with a key,
  # encrypts the topic. Google creates it when the Pub/Sub API is enabled.
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_project_service" "service" {
  for_each = toset(concat(local.services, local.cmek ? ["cloudkms.googleapis.com"] : []))

  project = var.project_id
  service = each.value
  # Other workloads of the project may use the same services.
  disable_on_destroy = false
}

# Holds the Flex Template's container image (make template pushes it).
resource "google_artifact_registry_repository" "templates" {
  location      = var.region
  repository_id = var.name_prefix
  format        = "DOCKER"
  description   = "Dataflow Flex Template images of the clickstream pipeline."
  labels        = local.labels

  depends_on = [google_project_service.service]
}
