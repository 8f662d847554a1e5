terraform {
  # 1.10: OpenTofu's first release whose `removed` blocks take a lifecycle
  # (moved.tf); Terraform has had them since 1.7.
  required_version = ">= 1.10"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
