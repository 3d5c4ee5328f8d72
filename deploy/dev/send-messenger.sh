#!/usr/bin/env bash
# Plays Meta delivering a Messenger message to a local Crm: builds the webhook JSON and signs its exact bytes as Meta
# does (X-Hub-Signature-256: HMAC-SHA256 of the raw body with the app secret, hex).
# Usage: deploy/dev/send-messenger.sh "<customer PSID, digits>" "Hello there"
# Env: CRM_URL (default http://localhost:5080), CRM_CONNECTION_ID (default: Development's seeded Messenger connection),
#      MESSENGER_PAGE_ID and MESSENGER_APP_SECRET (default: that connection's development page and secret).
set -euo pipefail
psid="${1:?customer PSID (digits), e.g. 24000000000000001}"
text="${2:?message text}"
crm="${CRM_URL:-http://localhost:5080}"
page="${MESSENGER_PAGE_ID:-100000000000001}"
secret="${MESSENGER_APP_SECRET:-dev-app-secret}"
connection="${CRM_CONNECTION_ID:-5eed0000-0000-4000-8000-000000000004}"
url="$crm/webhooks/messenger/$connection"
now=$(($(date +%s) * 1000))
mid="m_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

# The text as a JSON string, non-ASCII escaped as \uXXXX the way Meta escapes what it signs.
json_text=$(printf '%s' "$text" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')
body=$(printf '{"object":"page","entry":[{"id":"%s","time":%s,"messaging":[{"sender":{"id":"%s"},"recipient":{"id":"%s"},"timestamp":%s,"message":{"mid":"%s","text":%s}}]}]}' \
  "$page" "$now" "$psid" "$page" "$now" "$mid" "$json_text")
signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.* //')

curl -sS -i "$url" -H "Content-Type: application/json" -H "X-Hub-Signature-256: sha256=$signature" --data-binary "$body"
echo
