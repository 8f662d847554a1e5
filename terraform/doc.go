// Package terraform is the Terraform (OpenTofu) configuration of the
// pipeline's long-lived Google Cloud resources; see README.md. It holds no
// Go code: its tests read the .tf files with hashicorp/hcl and prove that
// every BigQuery table is declared from its definition in schemas/tables and
// every view from its query in sql/views, once each, with the partitioning
// and clustering the pipeline checks.
package terraform
