#!/usr/bin/env bash
# Plays WeChat delivering a customer's text to a local Crm in safe mode: encrypts the message XML as WXBizMsgCrypt does
# (16 random bytes | 4-byte big-endian length | XML | AppID, PKCS#7 to 32-byte blocks, AES-256-CBC with
# key = Base64(EncodingAESKey + "=") and IV = the key's first 16 bytes) and signs it (msg_signature = SHA-1 of the sorted
# token, timestamp, nonce and ciphertext; signature = SHA-1 of the sorted token, timestamp and nonce).
# Usage: deploy/dev/send-wechat.sh "Hello there" [OpenID]
# Env: CRM_URL (default http://localhost:5080), CRM_CONNECTION_ID (default: Development's seeded WeChat connection),
#      WECHAT_TOKEN, WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_ORIGINAL_ID (default: that connection's development values).
set -euo pipefail
text="${1:?message text}"
openid="${2:-oDevCustomerOpenId000001}"
crm="${CRM_URL:-http://localhost:5080}"
connection="${CRM_CONNECTION_ID:-5eed0000-0000-4000-8000-000000000003}"
token="${WECHAT_TOKEN:-devwechattoken}"
aes_key="${WECHAT_AES_KEY:-qXhjI6cHaSVvfaVvbjmqKnr0xaNl2hqCIEDdNLPMQHY}"
app_id="${WECHAT_APP_ID:-wxdev0000000000001}"
original_id="${WECHAT_ORIGINAL_ID:-gh_devwechat0001}"

timestamp=$(date +%s)
nonce=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
msg_id=$(od -An -N7 -tu8 /dev/urandom | tr -d ' ')
xml="<xml><ToUserName><![CDATA[$original_id]]></ToUserName><FromUserName><![CDATA[$openid]]></FromUserName><CreateTime>$timestamp</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[$text]]></Content><MsgId>$msg_id</MsgId></xml>"

key_hex=$(printf '%s=' "$aes_key" | base64 -d | xxd -p -c 64)
iv_hex=${key_hex:0:32}
plain=$(mktemp); trap 'rm -f "$plain"' EXIT
head -c 16 /dev/urandom > "$plain"
length=$(printf '%s' "$xml" | wc -c)
printf '%08x' "$length" | xxd -r -p >> "$plain"
printf '%s%s' "$xml" "$app_id" >> "$plain"
pad=$(( 32 - $(wc -c < "$plain") % 32 ))
for _ in $(seq "$pad"); do printf "\\x$(printf '%02x' "$pad")" >> "$plain"; done
encrypted=$(openssl enc -aes-256-cbc -K "$key_hex" -iv "$iv_hex" -nopad -in "$plain" | base64 -w0)

sha1_sorted() { printf '%s\n' "$@" | LC_ALL=C sort | tr -d '\n' | sha1sum | cut -d' ' -f1; }
signature=$(sha1_sorted "$token" "$timestamp" "$nonce")
msg_signature=$(sha1_sorted "$token" "$timestamp" "$nonce" "$encrypted")

curl -sS -i "$crm/webhooks/wechat/$connection?signature=$signature&timestamp=$timestamp&nonce=$nonce&openid=$openid&encrypt_type=aes&msg_signature=$msg_signature" \
  -H "Content-Type: text/xml" \
  --data-binary "<xml><ToUserName><![CDATA[$original_id]]></ToUserName><Encrypt><![CDATA[$encrypted]]></Encrypt></xml>"
echo
