#!/usr/bin/env sh
# Fails when regenerating src/client from the contract changed anything: the committed client,
# types and Zod schemas must be exactly what openapi/openapi.yaml produces.
set -eu
cd "$(dirname "$0")/.."
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "check-generated: not a git checkout; skipping the drift check" >&2
  exit 0
fi
if ! git diff --quiet -- src/client; then
  echo "frontend/src/client is out of date with openapi/openapi.yaml. Run 'make frontend-generate' and commit:" >&2
  git --no-pager diff --stat -- src/client >&2
  exit 1
fi
# Once the folder is committed, a newly generated file that is not is drift too.
if [ -n "$(git ls-files -- src/client)" ] && [ -n "$(git ls-files --others --exclude-standard -- src/client)" ]; then
  echo "New generated files are not committed:" >&2
  git ls-files --others --exclude-standard -- src/client >&2
  exit 1
fi
echo "frontend/src/client matches openapi/openapi.yaml"
