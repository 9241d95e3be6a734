#!/usr/bin/env bash
# Lets the edge and the manager call the cells the manager created on Cloud Run.
#
# The Cloud Run runtime creates cell services (lumora-shared, lumora-store-<slug>) but sets no
# IAM policy on them, and Cloud Run refuses unauthenticated calls by default. The edge sends no
# Google identity token (the Authorization header carries a store's admin token), and the
# manager's canary probe and health gate call /ready and /metrics without one. So every cell
# service needs roles/run.invoker for allUsers; the cells still refuse a store request that
# the edge did not sign (x-store-id + HMAC).
#
# Idempotent: run it after the manager's first start, after each new enterprise store, and
# before each release (or every few minutes from cron / Cloud Scheduler).
#
#   PROJECT=my-project REGION=europe-west1 deploy/make-cells-public.sh
set -euo pipefail
: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}"

services=$(gcloud run services list --project "$PROJECT" --region "$REGION" \
  --filter='metadata.labels.managed-by=lumora' --format='value(metadata.name)')
if [ -z "$services" ]; then
  echo "no Lumora cell services in $PROJECT/$REGION yet" >&2
  exit 0
fi
for service in $services; do
  if gcloud run services get-iam-policy "$service" --project "$PROJECT" --region "$REGION" \
       --flatten='bindings[].members' \
       --filter='bindings.role=roles/run.invoker AND bindings.members=allUsers' \
       --format='value(bindings.members)' | grep -q allUsers; then
    echo "$service: already public"
    continue
  fi
  gcloud run services add-iam-policy-binding "$service" --project "$PROJECT" --region "$REGION" \
    --member=allUsers --role=roles/run.invoker --quiet >/dev/null
  echo "$service: allUsers may invoke it"
done
