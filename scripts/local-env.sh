# Sourced by the local-*.sh scripts: where LocalStack listens and the dummy credentials it accepts.
# The AWS SDKs and the CDK read AWS_ENDPOINT_URL, so nothing else changes between LocalStack and AWS.
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_REGION="${AWS_REGION:-eu-west-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
# The LocalStack account and the configuration that describes it.
export LOCAL_ACCOUNT=000000000000
export LOCAL_CONFIG=config/local.json
export LOCAL_SESSION_TABLE=mcp-kit-local-sessions
# cdklocal (aws-cdk-local, a pinned devDependency) wraps the project's own aws-cdk CLI, which it finds
# beside itself in node_modules; `npx --yes aws-cdk-local` from npx's cache could not find it.
export CDKLOCAL="npx --no-install cdklocal"
