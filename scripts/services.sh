#!/usr/bin/env bash
# Start PostgreSQL and Redis on loopback for the template's tests (Debian packages).
# Prints the environment the tests read. Idempotent: already-running services are left alone.
set -euo pipefail

PG_ROLE=${PG_ROLE:-template_tests}
PG_PASSWORD=${PG_PASSWORD:-template_tests}
REDIS_PORT=${REDIS_PORT:-6379}

start_postgres() {
  local version cluster_dir
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  if ! pg_lsclusters -h | grep -q "^$version main"; then
    pg_createcluster "$version" main >/dev/null
  fi
  # Loopback only; PostgreSQL refuses to run as root, pg_ctlcluster runs it as postgres.
  echo "listen_addresses = '127.0.0.1'" >"/etc/postgresql/$version/main/conf.d/loopback.conf"
  if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
    runuser -u postgres -- pg_ctlcluster "$version" main start
  fi
  for _ in $(seq 30); do
    runuser -u postgres -- pg_isready -q -h 127.0.0.1 && break
    sleep 1
  done
  runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
SQL
  if ! runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_ROLE'" | grep -q 1; then
    runuser -u postgres -- createdb -O "$PG_ROLE" "$PG_ROLE"
  fi
}

start_redis() {
  if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no >/dev/null
  fi
  for _ in $(seq 30); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.5
  done
}

start_postgres >&2
start_redis >&2
echo "export TEST_DATABASE_URL=postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:5432/$PG_ROLE"
echo "export TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
