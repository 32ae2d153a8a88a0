#!/usr/bin/env bash
# The pipeline's smoke test of staging (the SmokeTest step). Assumes the read-only role in the staging
# account (SmokeTestAccess), reads the smoke machine client's id and its current secret there, and runs
# scripts/smoke.mjs with them. Nothing is copied anywhere beforehand, and a secret rotated in Cognito
# is used at the next run. The secret lives only in this shell's environment and is never printed.
#
# Set by the pipeline: MCP_URL, SMOKE_ROLE_ARN, SMOKE_REGION, SMOKE_POOL_ID_PARAMETER,
# SMOKE_CLIENT_ID_PARAMETER, SMOKE_TOKEN_URL, SMOKE_SCOPE.
set -euo pipefail
cd "$(dirname "$0")/.."
for name in MCP_URL SMOKE_ROLE_ARN SMOKE_REGION SMOKE_POOL_ID_PARAMETER SMOKE_CLIENT_ID_PARAMETER SMOKE_TOKEN_URL; do
  if [ -z "${!name:-}" ]; then echo "FAIL configuration: $name is not set" >&2; exit 1; fi
done

# A profile that assumes the staging role with CodeBuild's own credentials.
AWS_CONFIG_FILE="$(mktemp)"
export AWS_CONFIG_FILE
trap 'rm -f "$AWS_CONFIG_FILE"' EXIT
printf '[profile staging-smoke]\nrole_arn = %s\ncredential_source = EcsContainer\nrole_session_name = smoke-test\nregion = %s\n' \
  "$SMOKE_ROLE_ARN" "$SMOKE_REGION" >"$AWS_CONFIG_FILE"
staging() { aws --profile staging-smoke "$@"; }

pool_id="$(staging ssm get-parameter --name "$SMOKE_POOL_ID_PARAMETER" --query Parameter.Value --output text)"
SMOKE_CLIENT_ID="$(staging ssm get-parameter --name "$SMOKE_CLIENT_ID_PARAMETER" --query Parameter.Value --output text)"
SMOKE_CLIENT_SECRET="$(staging cognito-idp describe-user-pool-client --user-pool-id "$pool_id" --client-id "$SMOKE_CLIENT_ID" \
  --query UserPoolClient.ClientSecret --output text)"
export SMOKE_CLIENT_ID SMOKE_CLIENT_SECRET
echo "ok   machine client credentials read from the staging account"

node scripts/smoke.mjs
