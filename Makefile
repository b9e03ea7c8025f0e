# dirsync: the two commands are `make run` and `make test`. Both install what
# they need first (idempotently), so a fresh machine needs nothing by hand.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

CARGO_LEPTOS_VERSION := 0.3.10
# The wasm-bindgen CLI must match the crate version in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# npm's binaryen provides wasm-opt (Debian's breaks the wasm); cargo's bin
# holds cargo-leptos and wasm-bindgen.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# Baked into the binary by leptos_config; the same value for every cargo call
# keeps tests and clippy from rebuilding it back and forth.
export LEPTOS_OUTPUT_NAME := dirsync

.PHONY: run test soak bench setup setup-test build lint test-rust test-postgres test-browser clean

## make run: set up, build in release mode and serve on http://127.0.0.1:3000
run: setup
	cargo leptos serve --release

## make test: everything CI checks
test: setup-test lint test-rust test-postgres test-browser
	@echo "make test: all suites passed"

setup: end2end/node_modules/.package-lock.json
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if [ "$$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $(CARGO_LEPTOS_VERSION)" ]; then \
		echo "Installing cargo-leptos $(CARGO_LEPTOS_VERSION) (about 13 minutes, once)"; \
		cargo install --locked cargo-leptos@$(CARGO_LEPTOS_VERSION); \
	fi
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
		echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
		cargo install --locked --force wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@case "$$(command -v wasm-opt)" in "$(CURDIR)/end2end/node_modules/.bin/wasm-opt") ;; \
		*) echo "wasm-opt must come from end2end/node_modules (npm binaryen)"; exit 1 ;; esac

end2end/node_modules/.package-lock.json: end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund

setup-test: setup
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

build: setup
	cargo leptos build --release

lint:
	cargo fmt --all --check
	cargo clippy -p app -p server --features app/ssr --all-targets -- -D warnings
	cargo clippy -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

# --show-output prints what the kill loop counted (kills, resumes, rows lost).
test-rust:
	.ci/expect-tests "app unit tests" cargo test -p app --features ssr
	.ci/expect-tests "server tests and the SQLite database suite" cargo test -p server -- --show-output

## make soak: the kill loop with many more kills (KILLS, 200 by default), on
## SQLite and, when DIRSYNC_TEST_POSTGRES_URL is set, on PostgreSQL
soak: setup-test
	KILL_LOOP_KILLS=$${KILLS:-200} cargo test -p server --test kill_loop sqlite:: -- --nocapture
	@if [ -n "$${DIRSYNC_TEST_POSTGRES_URL:-}" ]; then \
		KILL_LOOP_KILLS=$${KILLS:-200} cargo test -p server --test kill_loop postgres:: -- --ignored --nocapture; \
	fi

## make bench: the scale benchmark (100,000 users and 5,000 groups; LARGE=1 for
## 300,000 and 20,000; RUNS=N runs per figure, 3 by default), on SQLite and,
## when DIRSYNC_TEST_POSTGRES_URL is set, on PostgreSQL. The report is written
## to target/bench/report.md and report.json.
bench: setup-test build
	@command -v twiggy >/dev/null || { echo "Installing twiggy (once)"; cargo install --locked twiggy@0.8.0; }
	cargo bench -p server --bench scale -- $(if $(LARGE),--large) $(if $(RUNS),--runs $(RUNS))

# The same database suite on PostgreSQL, when DIRSYNC_TEST_POSTGRES_URL names a server.
test-postgres:
	@if [ -n "$${DIRSYNC_TEST_POSTGRES_URL:-}" ]; then \
		.ci/expect-tests "PostgreSQL database suite" cargo test -p server postgres:: -- --ignored --show-output; \
	else \
		echo "DIRSYNC_TEST_POSTGRES_URL is not set: the PostgreSQL suite is skipped"; \
	fi

test-browser: build
	rm -rf target/e2e
	cd end2end && ../.ci/expect-tests "Playwright suite" npx playwright test

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/test-results
