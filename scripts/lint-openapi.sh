#!/usr/bin/env bash
# Lints openapi/openapi.json with both NL GOV API Design Rules rulesets in ../shared/standards.
set -euo pipefail
cd "$(dirname "$0")/.."
for ruleset in ../shared/standards/*.yaml; do
  echo "== $(basename "$ruleset")"
  npx spectral lint --fail-severity=error -r "$ruleset" openapi/openapi.json
done
