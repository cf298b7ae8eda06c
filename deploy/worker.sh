#!/usr/bin/env bash
# Starts one Celery worker that executes the hub's Dagster steps (HUB_EXECUTOR=celery runs).
#
# Needs, as every process of the deployment does (webserver, daemon, runs):
#   DAGSTER_HOME            with dagster.yaml from deploy/dagster.yaml (PostgreSQL instance: DAGSTER_PG_*)
#   HUB_CONFIG              the hub.yaml the code location is built from (default ./hub.yaml)
#   HUB_DATABASE_URL        the hub store, PostgreSQL (SQLite cannot be shared between machines)
#   HUB_CELERY_BROKER       redis://host:6379/0 or amqp://user:password@host:5672/vhost
#   HUB_CELERY_BACKEND      redis://host:6379/1
# Optional: HUB_CELERY_CONFIG (default: deploy/celery.yaml next to this script), HUB_WORKER_NAME,
# HUB_WORKER_CONCURRENCY (default 1: one step at a time per worker; start one worker per core),
# HUB_WORKER_LOGLEVEL. Extra arguments go to `celery worker` (e.g. --pool=solo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${DAGSTER_HOME:?set DAGSTER_HOME (a folder holding dagster.yaml from deploy/dagster.yaml)}"
: "${HUB_CELERY_BROKER:?set HUB_CELERY_BROKER}"
: "${HUB_CELERY_BACKEND:?set HUB_CELERY_BACKEND}"
export HUB_EXECUTOR=celery
export HUB_CELERY_CONFIG="${HUB_CELERY_CONFIG:-$here/celery.yaml}"
exec dagster-celery worker start \
  -A dagster_celery.app \
  -y "$HUB_CELERY_CONFIG" \
  -n "${HUB_WORKER_NAME:-hub-$(hostname)-$$}" \
  -l "${HUB_WORKER_LOGLEVEL:-INFO}" \
  -- --concurrency="${HUB_WORKER_CONCURRENCY:-1}" "$@"
