# Clickstream pipeline. The two commands a newcomer needs: `make run`, `make test`.
SHELL := /bin/bash
GO    ?= go
BIN   := bin
GOBIN := $(shell $(GO) env GOPATH)/bin

SAMPLE        ?= data/sample
SAMPLE_EVENTS ?= 200000
SEED          ?= 1
WAREHOUSE     ?= warehouse
HASH_KEY_FILE ?= $(HOME)/.config/clickstream/hash_key
# IP geolocation databases (DB-IP city lite, CC BY 4.0) are cached here.
GEO_CACHE     ?= $(HOME)/.cache/clickstream/geo
FUZZTIME      ?= 30s

BENCH_DATA   ?= /tmp/clickstream-bench
BENCH_EVENTS ?= 1000000

STREAM_SAMPLE ?= data/stream-sample
STREAM_EVENTS ?= 20000
STREAM_RATE   ?= 2000
STREAM_LATE   ?= 0.01
EMULATOR_PORT ?= 8085
STREAM_WAREHOUSE ?= warehouse-streaming
# STREAM_FLAGS: more flags for the streaming pipeline of run-streaming and
# bench-streaming, e.g. STREAM_FLAGS=--allowed_lateness=30m.
STREAM_FLAGS  ?=

.PHONY: run run-streaming test fuzz sqlcheck bench bench-streaming fmt lint tools build generate funnel report clean

build:
	$(GO) build -o $(BIN)/clickstream ./pipelines/clickstream
	$(GO) build -o $(BIN)/generate ./tools/generate/cmd/generate
	$(GO) build -o $(BIN)/query ./tools/query
	$(GO) build -o $(BIN)/publish ./tools/publish
	$(GO) build -o $(BIN)/liveview ./tools/liveview
	$(GO) build -o $(BIN)/runstatus ./tools/runstatus
	$(GO) build -o $(BIN)/report ./tools/report
	$(GO) build -o $(BIN)/benchref ./tools/benchref

# Generated sample (about a day of traffic), made once per seed and size, and
# again when the generator changes. Its truth_summary.json names the simulated
# days, which run passes as --dates: visits past the last midnight stay out.
$(SAMPLE)/.done-$(SEED)-$(SAMPLE_EVENTS): $(wildcard tools/generate/*.go tools/generate/cmd/generate/*.go) | build
	rm -rf $(SAMPLE)
	$(BIN)/generate --seed $(SEED) --events $(SAMPLE_EVENTS) --days 1 --out $(SAMPLE)
	touch $@

generate: $(SAMPLE)/.done-$(SEED)-$(SAMPLE_EVENTS)

# run: generate a sample, fetch the IP geolocation databases once
# (scripts/fetch-geo-db.sh), run the batch pipeline on Beam's local runner
# (Prism), write the local warehouse, print the run summary and the daily funnel,
# and write the run's HTML report (its path is the last line).
run: build generate
	@scripts/dev-hash-key.sh $(HASH_KEY_FILE)
	$(BIN)/clickstream --input='$(SAMPLE)/raw/*/*' --output=$(WAREHOUSE) \
		--dates=$$(sed -n 's/^  "dates": "\([^"]*\)".*/\1/p' $(SAMPLE)/truth_summary.json) \
		--hash_key=file:$(HASH_KEY_FILE) --bot_ip_file=$(SAMPLE)/bot_ip_denylist.txt \
		--geo_db=$$(scripts/fetch-geo-db.sh $(GEO_CACHE) | tail -n 1)
	@echo
	$(BIN)/query --warehouse=$(WAREHOUSE) --query=daily_funnel
	@$(BIN)/report --warehouse=$(WAREHOUSE)

# run-streaming: start the Pub/Sub emulator, publish a generated day
# ($(STREAM_EVENTS) events, duplicates and malformed lines included,
# $(STREAM_LATE) of the messages held back to the end so they arrive late) at
# $(STREAM_RATE) messages/s while the streaming pipeline reads it on the local
# runner; the pipeline stops after the last message, flushes its windows and
# prints the summary with the per-minute reconciliation, then the messages
# (and distinct ids) it published to the abandonment and anomaly topics,
# read from a subscription made before the run, and the trigger latency
# (tools/publish --clock). Meanwhile tools/liveview prints the live tables
# every 5 s. The emulator is stopped however the recipe ends; a failed
# publish stops the pipeline.
run-streaming: build
	@scripts/dev-hash-key.sh $(HASH_KEY_FILE)
	@if [ ! -f $(STREAM_SAMPLE)/.done-$(STREAM_EVENTS) ]; then rm -rf $(STREAM_SAMPLE) && \
		$(BIN)/generate --seed 3 --events $(STREAM_EVENTS) --days 1 --gzip 0 --out $(STREAM_SAMPLE) && \
		touch $(STREAM_SAMPLE)/.done-$(STREAM_EVENTS); fi
	@set -euo pipefail; \
	trap 'kill $${pub:-} $${pipeline:-} $${view:-} 2>/dev/null || true; scripts/pubsub-emulator.sh stop $(EMULATOR_PORT)' EXIT; \
	scripts/pubsub-emulator.sh start $(EMULATOR_PORT); \
	export PUBSUB_EMULATOR_HOST=127.0.0.1:$(EMULATOR_PORT); \
	run=stream-$$(date -u +%Y%m%dT%H%M%S); \
	n=$$($(BIN)/publish --count --input '$(STREAM_SAMPLE)/raw/*/*'); \
	$(BIN)/publish --project demo --topic $$run --subscription $$run --create_only; \
	for t in abandonment anomalies; do $(BIN)/publish --project demo --topic $$run-$$t --subscription $$run-$$t-email --create_only; done; \
	clock=$$(mktemp); \
	$(BIN)/publish --project demo --topic $$run --subscription $$run --rate $(STREAM_RATE) \
		--late_fraction $(STREAM_LATE) --input '$(STREAM_SAMPLE)/raw/*/*' --clock $$clock & pub=$$!; \
	$(BIN)/liveview --warehouse=$(STREAM_WAREHOUSE) --every=5s & view=$$!; \
	$(BIN)/clickstream --mode=streaming --project=demo --subscription=$$run --timestamp_attribute=event_time \
		--max_messages=$$n --output=$(STREAM_WAREHOUSE) --hash_key=file:$(HASH_KEY_FILE) \
		--bot_ip_file=$(STREAM_SAMPLE)/bot_ip_denylist.txt \
		--abandonment_topic=$$run-abandonment --anomaly_topic=$$run-anomalies \
		--geo_db=$$(scripts/fetch-geo-db.sh $(GEO_CACHE) | tail -n 1) $(STREAM_FLAGS) 2> >(grep -v 'level=INFO' >&2) & pipeline=$$!; \
	if ! wait $$pub; then echo "run-streaming: publishing failed, stopping the pipeline" >&2; exit 1; fi; \
	wait $$pipeline; kill $$view 2>/dev/null || true; \
	$(BIN)/publish --project demo --topic $$run-abandonment --subscription $$run-abandonment-email --drain trigger_id --clock $$clock; \
	rm -f $$clock; \
	$(BIN)/publish --project demo --topic $$run-anomalies --subscription $$run-anomalies-email --drain anomaly_id

# report: the HTML report of the warehouse's latest run (REPORT_RUN=<run_id>
# for another), <warehouse>/_runs/<run_id>.html, self-contained (tools/report).
report: build
	$(BIN)/report --warehouse=$(WAREHOUSE) $(if $(REPORT_RUN),--run_id=$(REPORT_RUN))

# funnel: the daily purchase funnel (sql/daily_funnel.sql) from the local warehouse.
funnel: build
	$(BIN)/query --warehouse=$(WAREHOUSE) --query=daily_funnel

# duckdb: ad-hoc SQL on the local warehouse in DuckDB, with every table of
# schemas/tables and every view of sql/views defined (the query tool's
# --shell: no DuckDB CLI package is reachable from the project's registries).
# End each statement with ';'; Ctrl-D quits. Statements can be piped in:
#   echo 'SELECT COUNT(*) FROM fact_sessions_current WHERE session_date BETWEEN @start_date AND @end_date;' | make -s duckdb
.PHONY: duckdb
duckdb: build
	@$(BIN)/query --warehouse=$(WAREHOUSE) --shell

test:
	$(GO) test -count=1 -timeout 30m ./...
	$(MAKE) fuzz
	$(MAKE) sqlcheck

# Bounded fuzzing, $(FUZZTIME) per target: the parser alone, and the whole
# parse -> bot filter -> enrich -> sanitize path to table rows (valid UTF-8,
# bounded, no planted IP or user id). Their seed corpora run in `go test` too.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./transforms/parse/
	$(GO) test -run='^$$' -fuzz='^FuzzRows$$' -fuzztime=$(FUZZTIME) ./transforms/sanitize/

# bench: micro-benchmarks (parse+enrich per event, cold and warm user-agent
# caches; a distinct user agent through uapfilter and uap-go, and through the
# bot rule; sessionization; dedup; the Parquet writer and its column-by-column
# copy), then the batch pipeline end to end on $(BENCH_EVENTS) generated
# events (events/s and peak memory in the summary), then DuckDB's core-work
# reference on the same files (tools/benchref), and both wall times, CPU
# times and peak memories side by side.
bench: build bench-streaming
	$(GO) test -run='^$$' -bench=. -benchmem ./pipelines/ ./transforms/enrich/ ./transforms/enrich/internal/uapfilter/ \
		./transforms/botfilter/ ./transforms/sessionize/ ./io/pubsubsource/ ./io/bqwarehouse/storagewrite/ \
		./io/internal/parquetrows/ ./internal/dedup/ ./schemas/
	@scripts/dev-hash-key.sh $(HASH_KEY_FILE)
	@if [ ! -f $(BENCH_DATA)/.done-$(BENCH_EVENTS) ]; then rm -rf $(BENCH_DATA) && \
		$(BIN)/generate --seed 7 --events $(BENCH_EVENTS) --days 3 --files_per_day 8 --out $(BENCH_DATA) && \
		touch $(BENCH_DATA)/.done-$(BENCH_EVENTS); fi
	rm -rf $(BENCH_DATA)/warehouse
	$(BIN)/benchref --input='$(BENCH_DATA)/raw/*/*' --output=$(BENCH_DATA)/reference -- \
		$(BIN)/clickstream --input='$(BENCH_DATA)/raw/*/*' --output=$(BENCH_DATA)/warehouse \
		--hash_key=file:$(HASH_KEY_FILE) --bot_ip_file=$(BENCH_DATA)/bot_ip_denylist.txt

# bench-streaming: sustained throughput of the local streaming pipeline: a
# 50k-event day published as fast as the emulator takes it, read by the
# pipeline meanwhile; the summary gives records/s and the publish ->
# fact_events visible latency (p50, p99).
bench-streaming:
	rm -rf $(BENCH_DATA)/stream-warehouse
	$(MAKE) run-streaming STREAM_SAMPLE=$(BENCH_DATA)/stream-sample STREAM_EVENTS=50000 STREAM_RATE=0 \
		STREAM_WAREHOUSE=$(BENCH_DATA)/stream-warehouse

# sqlcheck: every .sql file under sql/ (analyses, views, models) analyzed by
# GoogleSQL's own front end with BigQuery's language options, against the
# tables of schemas/tables and the views. tools/sqlcheck is a Go module of its
# own: its dependency takes minutes and gigabytes to build cold, and no other
# package's build or test pays for it (./... above stops at its go.mod), so
# this target also vets and tests it (see tools/sqlcheck/README.md).
sqlcheck:
	cd tools/sqlcheck && $(GO) vet ./... && $(GO) test -count=1 ./... && \
		$(GO) run . -tables ../../schemas/tables -sql ../../sql

fmt:
	gofmt -w $$(git ls-files '*.go')

tools:
	scripts/install-tools.sh

lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/golangci-lint run ./...
	$(GOBIN)/tofu fmt -check -recursive -diff terraform
	$(GOBIN)/tflint --chdir=terraform

clean:
	rm -rf $(BIN) $(SAMPLE) $(WAREHOUSE) $(STREAM_SAMPLE) $(STREAM_WAREHOUSE)

# Operations on Google Cloud (template, deploy, drain, update, backfill, daily).
include deploy/deploy.mk
