# Rally detector tasks. `just --list` shows them.

set dotenv-load := false

# Install build prerequisites (just, cargo-deny, tmux for the pty test).
setup:
    cargo install just cargo-deny --locked || true
    command -v tmux >/dev/null || (sudo apt-get install -y tmux || apt-get install -y tmux)
    cargo fetch

build:
    cargo build --release -j2

# The whole product on the synthetic market, no network; state in ./demo.
# The dev profile (numeric crates optimised) shares the test build.
demo:
    cargo run --bin scanner -- --demo
    cargo run --bin dashboard -- --demo --once

scan *ARGS:
    cargo run --release --bin scanner -- --positions {{ARGS}}

retrain *ARGS:
    cargo run --release --bin retrainer -- {{ARGS}}

dashboard *ARGS:
    cargo run --release --bin dashboard -- {{ARGS}}

health:
    cargo run --release --bin scanner -- health

discord:
    cargo run --release --bin discord-bot

test:
    cargo test --workspace

# Every suite, the PostgreSQL runs included: starts a throwaway server on
# 127.0.0.1:54329 (installing it when missing) and points the tests at it.
test-pg:
    RALLY_TEST_POSTGRES_URL="$(.ci/postgres)" cargo test --workspace

# The state backends side by side: the bench's scan commits to a scratch
# SQLite file, then to a scratch PostgreSQL database.
bench-store:
    #!/usr/bin/env bash
    set -euo pipefail
    url="$(.ci/postgres)"
    psql -q "$url" -c "DROP DATABASE IF EXISTS rally_bench WITH (FORCE)" -c "CREATE DATABASE rally_bench"
    cargo build --release --bin retrainer -j2
    target/release/retrainer bench --jobs 2 --state target/bench-sqlite
    target/release/retrainer bench --jobs 2 --state target/bench-pg --database "${url%/*}/rally_bench"

lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo deny --offline check licenses bans sources

# Kernel benchmarks (criterion), the universe-scale stage table, and the
# classic vs v2 export timing on the shared data.
bench:
    cargo bench -p rally-features -p rally-hmm -p rally-model -p rally-trade
    cargo bench -p rally-research --bench format
    cargo run --release --bin retrainer -- bench --jobs 2
    just bench-export

# `retrainer export` of every ticker in DATA, classic then v2, with --jobs 2
# (v2 must stay within 1.5x classic). Needs the shared market data.
bench-export DATA="../shared/data/market":
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -d "{{DATA}}" ]; then echo "bench-export: no market data at {{DATA}}; skipped"; exit 0; fi
    cargo build --release --bin retrainer -j2
    tickers=$(ls "{{DATA}}" | sed -n 's/\.csv$//p' | tr '\n' ' ')
    out=$(mktemp -d)
    for model in classic v2; do
        start=$(date +%s.%N)
        target/release/retrainer export --model $model --jobs 2 --source "csv:{{DATA}}" --tickers $tickers --out "$out/$model" 2>/dev/null
        end=$(date +%s.%N)
        echo "$model $(echo "$end - $start" | bc)"
    done | awk '{t[$1]=$2; printf "export %-7s %6.2f s\n", $1, $2} END {printf "v2 / classic: %.2fx\n", t["v2"]/t["classic"]}'
    rm -rf "$out"
