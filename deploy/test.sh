#!/usr/bin/env bash
# Runs every test suite on this machine, as CI does: installs and starts RabbitMQ and Redis when they
# are missing (Debian packages), then `dotnet test` on the solution, the web app's unit tests (Vitest), then the
# end-to-end tests (tests/e2e: the web app in Debian's Chromium against a real Crm; CRM_SKIP_E2E=1 leaves them out).
# Prints "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v rabbitmq-server >/dev/null || ! command -v redis-server >/dev/null; then
  echo "Installing rabbitmq-server and redis-server from Debian..."
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server redis-server >/dev/null
fi

# The end-to-end tests drive Debian's Chromium; their Node packages come from tests/e2e/package-lock.json.
if [ "${CRM_SKIP_E2E:-}" != "1" ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium from Debian..."
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
  echo "Starting redis-server..."
  as_root redis-server --port 6379 --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null
fi

# RabbitMQ opens its AMQP port once it has booted; asking the port needs no Erlang cookie.
amqp_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if ! amqp_up; then
  echo "Starting rabbitmq-server..."
  as_root env RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 120); do amqp_up && break; sleep 1; done
fi
amqp_up || { echo "RabbitMQ did not start"; echo "0 passed, 1 failed"; exit 1; }
redis-cli -p 6379 ping >/dev/null 2>&1 || { echo "Redis did not start"; echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp -d)
dotnet build Crm.sln -nologo -v quiet
built=$?
status=$built
if [ "$status" -eq 0 ]; then
  for project in tests/*/*.csproj; do
    name=$(basename "$project" .csproj)
    dotnet test "$project" --no-build --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || status=$?
  done
fi

# The web app's unit tests (Vitest); `dotnet build` installed its packages.
web_report="$results/web.json"
if [ "$built" -eq 0 ]; then
  (cd src/Gateway/ClientApp && npx vitest run --reporter=default --reporter=json --outputFile="$web_report") || status=1
fi

# End to end, once the build and the other suites are done (the build made the Gateway it starts).
e2e_report=tests/e2e/results/junit.xml
rm -f "$e2e_report"
if [ "${CRM_SKIP_E2E:-}" != "1" ] && [ "$built" -eq 0 ]; then
  echo "End-to-end tests (tests/e2e)..."
  if (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error && npx vitest run); then :; else
    status=1
    echo "End-to-end tests failed; the Crm they ran is logged in tests/e2e/results/crm.log"
  fi
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
if [ -f "$web_report" ]; then
  read -r web_passed web_failed web_skipped < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests, r.numPendingTests + r.numTodoTests)' "$web_report")
  passed=$((passed + web_passed)); failed=$((failed + web_failed)); skipped=$((skipped + web_skipped))
fi
# Vitest's JUnit report: one <testsuite> per file (a failed beforeAll is a failure of its own there).
if [ -f "$e2e_report" ]; then
  while read -r suite; do
    attr() { echo "$suite" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
    passed=$((passed + $(attr tests) - $(attr failures) - $(attr errors) - $(attr skipped)))
    failed=$((failed + $(attr failures) + $(attr errors)))
    skipped=$((skipped + $(attr skipped)))
  done < <(grep -o '<testsuite [^>]*>' "$e2e_report")
fi
rm -rf "$results"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # a build or runner failure counts
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
