#!/usr/bin/env bash
# `make run`: the API on http://127.0.0.1:8000, the job worker (webhook deliveries) and the web app
# on http://localhost:3000, together. Ctrl-C (or any one stopping) stops all three.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=${1:?usage: run-all.sh PATH_TO_BACKEND_PYTHON}
export PATH="$root/frontend/.tools/bin:$PATH"
export CONSUMO_API_URL=${CONSUMO_API_URL:-http://127.0.0.1:8000}

cd "$root/frontend"
# A production build of the web app, rebuilt only when its sources or the API address changed
# (the rewrite to the API is fixed at build time).
stamp=.next/consumo-build-stamp
if [ ! -f .next/BUILD_ID ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$CONSUMO_API_URL" ] \
   || [ -n "$(find src public next.config.ts package-lock.json postcss.config.mjs -newer .next/BUILD_ID 2>/dev/null | head -n 1)" ]; then
  echo "run: building the web app (about a minute the first time)…"
  npx --no-install next build
  echo "$CONSUMO_API_URL" > "$stamp"
fi

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

(cd "$root/backend" && exec "$python" -m consumo.cli serve --host 127.0.0.1 --port 8000) &
api=$!
pids+=("$api")
# The web app starts once the API answers (its database started and migrated), so the first page
# a user opens does not meet a proxy error while the API is still starting.
echo "run: starting the API (its embedded PostgreSQL and migrations first)…"
until "$python" -c 'import sys, urllib.request; sys.exit(urllib.request.urlopen("http://127.0.0.1:8000/api/v1/ready", timeout=2).status != 200)' 2>/dev/null; do
  kill -0 "$api" 2>/dev/null || { echo "run: the API stopped before it was ready" >&2; exit 1; }
  sleep 1
done
(cd "$root/backend" && exec "$python" -m consumo.cli worker) &
pids+=($!)
npx --no-install next start --port 3000 &
pids+=($!)

echo "run: API on http://127.0.0.1:8000/api/v1/docs/ · worker · web app on http://localhost:3000 (Ctrl-C stops all)"
wait -n
