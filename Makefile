# PriceWatch: the two commands are `make dev` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help deps build dev test lint fmt clippy bench bench-extract bench-pipeline bench-export bench-render bench-web clean-test-dbs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

deps: ## Start PostgreSQL, Redis and RabbitMQ (installs them when missing)
	@scripts/deps.sh

build: ## Build every binary
	cargo build --workspace --bins

dev: ## Run the whole system locally: deps, migrations, services, gateway, demo shop, demo user
	@scripts/dev.sh

test: deps ## Run the whole test suite against real services
	@scripts/test.sh

.PHONY: test-chaos
test-chaos: deps ## Chaos: 2,000 checks while workers are killed and RabbitMQ restarts
	@scripts/test-chaos.sh

lint: ## fmt, clippy, and static checks of CI, compose, Docker, Helm, nginx, shell
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	scripts/lint.sh
	scripts/check-settings.sh

fmt: ## Format the code
	cargo fmt --all

bench: bench-extract bench-pipeline bench-export bench-render bench-web ## Every benchmark

bench-extract: ## Extraction throughput vs bare tokenizer and the Python stack
	scripts/bench-extract.sh

bench-pipeline: deps ## Scheduler publish rate, end-to-end check rate, worker memory (release build; BENCH_PRODUCTS=N)
	scripts/bench-pipeline.sh

bench-render: deps ## Renders per second with 2 tabs on the demo shop's script-built pages; the browser's memory over 200 renders
	scripts/bench-render.sh

bench-export: deps ## The api's memory while it streams a 1,000-watch, 1,000,000-reading export (BENCH_PROFILE=release)
	scripts/bench-export.sh

bench-web: deps ## The watch list's render time (200 watches) and Lighthouse scores of three pages (BENCH_PROFILE=release)
	scripts/bench-web.sh

clean-test-dbs: ## Drop databases left behind by earlier test runs
	@scripts/test.sh --clean-only
