// Package terraform is the Terraform (OpenTofu) configuration of the
// pipeline's long-lived Google Cloud resources; see README.md. It holds no
// Go code: its tests read the .tf files with hashicorp/hcl and plan them
// without a provider, and prove that every BigQuery table is declared from
// its definition in schemas/tables and every view from its query in
// sql/views, once each, with the partitioning and clustering the pipeline
// checks; that the worker account cannot change what jobs run; that the
// dataset's access list, the dead_letter retention, the optional KMS key,
// the subscriptions' expiration and the unwritable_rows alert are as
// documented; and that the make variables it prints are deploy.mk's.
package terraform
