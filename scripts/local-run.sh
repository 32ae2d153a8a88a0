#!/usr/bin/env bash
# Runs the MCP server on this machine against the session table in LocalStack (see local-deploy.sh).
# The server verifies tokens of an external OIDC issuer: set MCP_OIDC_ISSUER (and MCP_OIDC_AUDIENCE
# when your tokens carry another audience than the server URL).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/local-env.sh
: "${MCP_OIDC_ISSUER:?set MCP_OIDC_ISSUER to the issuer of your test tokens}"
# Plain HTTP on this machine: the runtime allows it on a loopback address only.
export MCP_HOST=127.0.0.1
export MCP_PORT="${MCP_PORT:-8443}"
export MCP_PUBLIC_URL="${MCP_PUBLIC_URL:-http://localhost:${MCP_PORT}/mcp}"
export MCP_ALLOWED_HOSTS="${MCP_ALLOWED_HOSTS:-localhost:${MCP_PORT},localhost}"
export MCP_AUTH_PROFILE=oidc
export MCP_OIDC_AUDIENCE="${MCP_OIDC_AUDIENCE:-$MCP_PUBLIC_URL}"
export MCP_SESSION_TABLE="$LOCAL_SESSION_TABLE"
# The key that seals multi round-trip requestState (a tool that asks for input or confirmation needs
# one). A fresh one per run unless you set your own: states minted by an earlier run are then refused.
export MCP_REQUEST_STATE_KEY="${MCP_REQUEST_STATE_KEY:-$(node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64"))')}"
export LOG_LEVEL="${LOG_LEVEL:-DEBUG}"
exec npm start
