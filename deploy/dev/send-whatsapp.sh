#!/usr/bin/env bash
# Plays Twilio delivering a customer's WhatsApp message to a local Crm: builds the webhook form and
# signs it exactly as Twilio does (URL + sorted params, HMAC-SHA1 with the auth token, base64).
# Usage: deploy/dev/send-whatsapp.sh "+14155550100" "Hello there" [ProfileName]
# Env: CRM_URL (default http://localhost:5080), CRM_CONNECTION_ID (default: Development's seeded Twilio connection),
#      TWILIO_AUTH_TOKEN (default: that connection's development token).
set -euo pipefail
from="${1:?customer phone number in international format, e.g. +14155550100}"
body="${2:?message text}"
name="${3:-Customer}"
crm="${CRM_URL:-http://localhost:5080}"
token="${TWILIO_AUTH_TOKEN:-dev-auth-token}"
connection="${CRM_CONNECTION_ID:-5eed0000-0000-4000-8000-000000000002}"
url="$crm/webhooks/twilio/$connection"
sid="SM$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

# Keys already in ordinal order, as the signature requires.
keys=(AccountSid Body From MessageSid NumMedia ProfileName To)
values=("ACdev00000000000000000000000000000" "$body" "whatsapp:$from" "$sid" "0" "$name" "whatsapp:+14155238886")

data="$url"; args=()
for i in "${!keys[@]}"; do
  data+="${keys[$i]}${values[$i]}"
  args+=(--data-urlencode "${keys[$i]}=${values[$i]}")
done
signature=$(printf '%s' "$data" | openssl dgst -sha1 -hmac "$token" -binary | base64)

curl -sS -i "$url" -H "X-Twilio-Signature: $signature" "${args[@]}"
echo
