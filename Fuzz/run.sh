#!/usr/bin/env bash
# Builds the libFuzzer target for the line parser and command decoder, then runs it for a bounded time.
# Usage: Fuzz/run.sh [seconds]   (default 600). Crashing inputs are written to Fuzz/crashes/; add each one to
# Tests/DefenceProtocolTests/FuzzRegressionTests.swift once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
mkdir -p .build/fuzz Fuzz/corpus Fuzz/crashes
swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
    $(find Sources/DefenceProtocol -name '*.swift') Fuzz/FuzzLineParser.swift \
    -o .build/fuzz/line-parser
# Seed the corpus with every line the transcripts send or expect.
if [ -z "$(ls -A Fuzz/corpus)" ]; then
    n=0
    for file in Protocol/transcripts/*.txt; do
        grep -E '^[a-z0-9]+[<>] ' "$file" | sed -E 's/^[a-z0-9]+[<>] //' | while IFS= read -r line; do
            n=$((n + 1)); printf '%s' "$line" > "Fuzz/corpus/$(basename "$file" .txt)-$RANDOM$RANDOM"
        done
    done
fi
.build/fuzz/line-parser Fuzz/corpus -max_total_time="$seconds" -max_len=8192 -artifact_prefix=Fuzz/crashes/ -print_final_stats=1
