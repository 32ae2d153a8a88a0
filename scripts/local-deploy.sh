#!/usr/bin/env bash
# Deploys the data stack (the session table) of config/local.json into LocalStack with cdklocal.
# The service stack needs ECS, ELBv2, WAF and Route 53, which LocalStack offers in paid tiers only;
# deploy it with `$CDKLOCAL deploy 'local/*'` if your tier has them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/local-env.sh
$CDKLOCAL bootstrap "aws://${LOCAL_ACCOUNT}/${AWS_REGION}" -c config="$LOCAL_CONFIG"
$CDKLOCAL deploy 'local/Data' --exclusively --require-approval never -c config="$LOCAL_CONFIG"
echo "Session table ${LOCAL_SESSION_TABLE} deployed to LocalStack"
