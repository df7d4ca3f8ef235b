#!/usr/bin/env bash
# Prints the step DAG and its critical path (sequential round trips of Run all vs documented order).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet -p pingone --example critical_path
