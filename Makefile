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
FUZZTIME      ?= 45s

BENCH_DATA   ?= /tmp/clickstream-bench
BENCH_EVENTS ?= 1000000

.PHONY: run test fuzz bench fmt lint tools build generate funnel clean

build:
	$(GO) build -o $(BIN)/clickstream ./pipelines/clickstream
	$(GO) build -o $(BIN)/generate ./tools/generate
	$(GO) build -o $(BIN)/query ./tools/query

# Generated sample (about a day of traffic), made once per seed and size.
$(SAMPLE)/.done-$(SEED)-$(SAMPLE_EVENTS): | build
	rm -rf $(SAMPLE)
	$(BIN)/generate --seed $(SEED) --events $(SAMPLE_EVENTS) --days 1 --out $(SAMPLE)
	touch $@

generate: $(SAMPLE)/.done-$(SEED)-$(SAMPLE_EVENTS)

# run: generate a sample, run the batch pipeline on Beam's local runner (Prism),
# write the local warehouse, print the run summary and the daily funnel.
run: build generate
	@scripts/dev-hash-key.sh $(HASH_KEY_FILE)
	$(BIN)/clickstream --input='$(SAMPLE)/raw/*/*' --output=$(WAREHOUSE) \
		--hash_key=file:$(HASH_KEY_FILE) --bot_ip_file=$(SAMPLE)/bot_ip_denylist.txt
	@echo
	$(BIN)/query --warehouse=$(WAREHOUSE) --query=daily_funnel

# funnel: the daily purchase funnel (sql/daily_funnel.sql) from the local warehouse.
funnel: build
	$(BIN)/query --warehouse=$(WAREHOUSE) --query=daily_funnel

test:
	$(GO) test -count=1 -timeout 30m ./...
	$(MAKE) fuzz

# Bounded fuzzing of the parser (the corpus in testdata/fuzz runs in `go test` too).
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./transforms/parse/

# bench: micro-benchmarks (parse+enrich per event, cold and warm user-agent
# caches; sessionization), then the batch pipeline end to end on
# $(BENCH_EVENTS) generated events (events/s and peak memory in the summary).
bench: build
	$(GO) test -run='^$$' -bench=. -benchmem ./pipelines/ ./transforms/enrich/ ./transforms/sessionize/
	@scripts/dev-hash-key.sh $(HASH_KEY_FILE)
	@if [ ! -f $(BENCH_DATA)/.done-$(BENCH_EVENTS) ]; then rm -rf $(BENCH_DATA) && \
		$(BIN)/generate --seed 7 --events $(BENCH_EVENTS) --days 3 --files_per_day 8 --out $(BENCH_DATA) && \
		touch $(BENCH_DATA)/.done-$(BENCH_EVENTS); fi
	rm -rf $(BENCH_DATA)/warehouse
	$(BIN)/clickstream --input='$(BENCH_DATA)/raw/*/*' --output=$(BENCH_DATA)/warehouse \
		--hash_key=file:$(HASH_KEY_FILE) --bot_ip_file=$(BENCH_DATA)/bot_ip_denylist.txt

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
	rm -rf $(BIN) $(SAMPLE) $(WAREHOUSE)

# Operations on Google Cloud (template, deploy, drain, update, backfill, daily).
include deploy/deploy.mk
