// Package deploy is the Dataflow deployment of the pipeline: the Flex
// Template's Dockerfile and metadata.json, deploy.mk (the make targets
// template, deploy, drain, update, backfill and daily, included by the
// Makefile) and backfill-inputs.sh. It holds no Go code: its tests check,
// without a cloud, that every template parameter is a flag the pipeline
// binary defines, that the make targets print the commands they should, and
// that the Dockerfile runs the binary the targets name as the worker.
package deploy
