#!/usr/bin/env bash
# Deploys the data stack (the session table) of config/local.json into LocalStack with cdklocal.
# The service stack needs EC2 (VPC), ECS, ELBv2, WAFv2, Route 53, ACM, CloudWatch, SNS, KMS, Logs,
# IAM and SSM, several of which LocalStack offers in paid tiers only (see the README);
# deploy it with `$CDKLOCAL deploy 'local/*'` if your tier has them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/local-env.sh
$CDKLOCAL bootstrap "aws://${LOCAL_ACCOUNT}/${AWS_REGION}" -c config="$LOCAL_CONFIG"
$CDKLOCAL deploy 'local/Data' --exclusively --require-approval never -c config="$LOCAL_CONFIG"
echo "Session table ${LOCAL_SESSION_TABLE} deployed to LocalStack"
