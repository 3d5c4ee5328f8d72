#!/usr/bin/env bash
# Runs every test suite on this machine, as CI does: installs and starts RabbitMQ and Redis when they
# are missing (Debian packages), then `dotnet test` on the solution. Prints "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v rabbitmq-server >/dev/null || ! command -v redis-server >/dev/null; then
  echo "Installing rabbitmq-server and redis-server from Debian..."
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server redis-server >/dev/null
fi

if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
  echo "Starting redis-server..."
  as_root redis-server --port 6379 --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null
fi

if ! as_root rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; then
  echo "Starting rabbitmq-server..."
  as_root env RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 90); do
    as_root rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1 && break
    sleep 1
  done
fi
as_root rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1 || { echo "RabbitMQ did not start"; echo "0 passed, 1 failed"; exit 1; }
redis-cli -p 6379 ping >/dev/null 2>&1 || { echo "Redis did not start"; echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp -d)
dotnet build Crm.sln -nologo -v quiet
status=$?
if [ "$status" -eq 0 ]; then
  for project in tests/*/*.csproj; do
    name=$(basename "$project" .csproj)
    dotnet test "$project" --no-build --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || status=$?
  done
fi

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get total) - $(get executed)))
done
rm -rf "$results"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # a build or runner failure counts
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
