#!/usr/bin/env bash
# Plays Meta delivering to a local Crm's WhatsApp Cloud API connection: builds the webhook JSON as the Cloud API sends it
# and signs its exact bytes (X-Hub-Signature-256: HMAC-SHA256 of the raw body with the app secret, hex).
# Usage: deploy/dev/send-whatsapp-cloud.sh "+14155550100" "Hello there" [ProfileName]   a customer's text
#        deploy/dev/send-whatsapp-cloud.sh image "+14155550100" ["caption"]             a photo (FakeMeta serves its bytes)
#        deploy/dev/send-whatsapp-cloud.sh status "wamid.…" delivered|read|failed       a status of a reply Crm sent
# Env: CRM_URL (default http://localhost:5080), CRM_CONNECTION_ID (default: Development's seeded Cloud API connection),
#      CLOUD_PHONE_NUMBER_ID and CLOUD_APP_SECRET (default: that connection's development number id and secret).
set -euo pipefail
crm="${CRM_URL:-http://localhost:5080}"
phone_number_id="${CLOUD_PHONE_NUMBER_ID:-200000000000001}"
secret="${CLOUD_APP_SECRET:-dev-cloud-app-secret}"
connection="${CRM_CONNECTION_ID:-5eed0000-0000-4000-8000-000000000005}"
url="$crm/webhooks/whatsapp-cloud/$connection"
now=$(date +%s)
wamid="wamid.dev$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
json() { printf '%s' "$1" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))'; }

case "${1:?see the usage at the top of this script}" in
  status)
    id="${2:?the wamid of a reply Crm sent, as on the timeline}"
    status="${3:?delivered, read or failed}"
    errors=""
    if [ "$status" = failed ]; then
      errors=',"errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message"}]'
    fi
    value=$(printf '"statuses":[{"id":%s,"status":"%s","timestamp":"%s","recipient_id":"14155550100"%s}]' "$(json "$id")" "$status" "$now" "$errors")
    ;;
  image)
    from="${2:?customer phone number in international format}"
    caption="${3:-}"
    value=$(printf '"contacts":[{"profile":{"name":"Customer"},"wa_id":"%s"}],"messages":[{"from":"%s","id":"%s","timestamp":"%s","type":"image","image":{"caption":%s,"mime_type":"image/png","sha256":"fake","id":"%s"}}]' \
      "${from#+}" "${from#+}" "$wamid" "$now" "$(json "$caption")" "$(od -An -N6 -tu8 /dev/urandom | tr -d ' \n' | cut -c1-15)")
    ;;
  *)
    from="$1"
    text="${2:?message text}"
    name="${3:-Customer}"
    value=$(printf '"contacts":[{"profile":{"name":%s},"wa_id":"%s"}],"messages":[{"from":"%s","id":"%s","timestamp":"%s","type":"text","text":{"body":%s}}]' \
      "$(json "$name")" "${from#+}" "${from#+}" "$wamid" "$now" "$(json "$text")")
    ;;
esac

body=$(printf '{"object":"whatsapp_business_account","entry":[{"id":"200000000000002","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001234","phone_number_id":"%s"},%s},"field":"messages"}]}]}' \
  "$phone_number_id" "$value")
signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.* //')

curl -sS -i "$url" -H "Content-Type: application/json" -H "X-Hub-Signature-256: sha256=$signature" --data-binary "$body"
echo
