#!/usr/bin/env bash
# Starts LocalStack in Docker and waits until it is healthy. Needs Docker and LOCALSTACK_AUTH_TOKEN.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LOCALSTACK_AUTH_TOKEN:?set LOCALSTACK_AUTH_TOKEN (LocalStack needs an auth token)}"
docker compose up --detach --wait localstack
echo "LocalStack is up on http://localhost:4566"
