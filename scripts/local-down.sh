#!/usr/bin/env bash
# Stops LocalStack and the runtime container and removes their state.
set -euo pipefail
cd "$(dirname "$0")/.."
docker compose down --volumes --remove-orphans
