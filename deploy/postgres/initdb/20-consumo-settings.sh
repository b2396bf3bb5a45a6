#!/usr/bin/env bash
# Runs once, on the first start of an empty volume (the postgres image's docker-entrypoint-initdb.d):
# appends the settings Consumo is sized for (deploy/postgres/consumo.conf, mounted read-only at
# /etc/consumo/postgresql.conf) to the server's own postgresql.conf. The image restarts the server
# after these scripts, so they apply from its first real start. A later change: edit the file in
# the volume (or ALTER SYSTEM) and restart the postgres service.
set -euo pipefail
settings=${CONSUMO_SETTINGS_FILE:-/etc/consumo/postgresql.conf}
if [[ -r "$settings" ]]; then
  { echo; echo "# --- Consumo (deploy/postgres/consumo.conf) ---"; cat "$settings"; } >>"$PGDATA/postgresql.conf"
fi
