// Package deploy is the Dataflow deployment of the pipeline: the Flex
// Template's Dockerfile and metadata.json, deploy.mk (the make targets
// template, deploy, drain, update, backfill and daily, included by the
// Makefile) and backfill-inputs.sh. The batch targets launch a job under an
// explicit run id, then wait for it with tools/runstatus and print the run's
// summary from the run tables.
//
// It holds no Go code: its tests check, without a cloud, that every template
// parameter is a flag the pipeline binary defines, that the make targets
// print the commands they should, that the Dockerfile runs the binary the
// targets name as the worker, and, running make backfill and make daily with
// stand-ins for gcloud, the Dataflow API and BigQuery
// (tools/runstatus/runstatustest), that they succeed for a reconciled run,
// fail with runstatus's exit status 3 naming the failed partition for a run
// that did not reconcile, and with 1 for a job that failed.
package deploy
