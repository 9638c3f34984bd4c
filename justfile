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

lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo deny --offline check licenses bans sources

# Kernel benchmarks (criterion) and the universe-scale stage table.
bench:
    cargo bench -p rally-features -p rally-hmm -p rally-model -p rally-trade
    cargo bench -p rally-pipeline --bench format
    cargo run --release --bin retrainer -- bench --jobs 2
