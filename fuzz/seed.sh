#!/usr/bin/env bash
# Copies the language fixtures and the fmt inputs into the seed corpora as seed-<name> files
# (committed); the files libFuzzer adds beside them while it runs are not.
set -euo pipefail
cd "$(dirname "$0")"
lang=../engine/lang/tests
mkdir -p corpus/load_evaluate corpus/format
for f in $(find "$lang/fixtures" -name '*.tf' | sort) "$lang"/fmt/*.in.tf; do
    name="seed-$(echo "${f#"$lang"/}" | tr '/' '_')"
    cp "$f" "corpus/load_evaluate/$name"
    cp "$f" "corpus/format/$name"
done
ls corpus/load_evaluate | wc -l
