#!/usr/bin/env node
// Post-deployment smoke test of an MCP endpoint, run by the pipeline after the staging wave.
//
//   MCP_URL=https://mcp.staging.example.com/mcp SMOKE_CLIENT='{"tokenUrl":…,"clientId":…,"clientSecret":…,"scope":…}' node scripts/smoke.mjs
//
// The client comes either as one JSON value in SMOKE_CLIENT or as SMOKE_TOKEN_URL, SMOKE_CLIENT_ID,
// SMOKE_CLIENT_SECRET and SMOKE_SCOPE (what scripts/smoke-staging.sh reads from the staging account);
// the secret is never printed. Checks, in order:
//   1. GET /healthz and /readyz answer 200 (retried for a while: DNS and targets settle after a deploy)
//   2. an MCP request without a token is refused with 401 and a WWW-Authenticate challenge
//   3. a client-credentials token from the token endpoint
//   4. initialize (protocol 2025-11-25) → a session id
//   5. tools/list lists `whoami`
//   6. tools/call whoami answers without error, for the smoke client
//   7. DELETE ends the session
// Exits 0 when every check passes, 1 otherwise, naming the failed check.

const PROTOCOL_VERSION = '2025-11-25';
const REQUEST_TIMEOUT_MS = 15_000;
const READY_DEADLINE_MS = Number(process.env.SMOKE_READY_DEADLINE_MS ?? 180_000);
const EXPECTED_TOOL = process.env.SMOKE_EXPECTED_TOOL ?? 'whoami';

class SmokeFailure extends Error {}

function fail(check, detail) {
  throw new SmokeFailure(`${check}: ${detail}`);
}

function settings() {
  const url = process.env.MCP_URL;
  if (!url) fail('configuration', 'MCP_URL is not set');
  const endpoint = new URL(url);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(endpoint.hostname);
  if (endpoint.protocol !== 'https:' && !loopback) fail('configuration', `MCP_URL must use https (got "${url}")`);
  let client;
  if (process.env.SMOKE_CLIENT === undefined && process.env.SMOKE_CLIENT_SECRET !== undefined) {
    client = {
      tokenUrl: process.env.SMOKE_TOKEN_URL,
      clientId: process.env.SMOKE_CLIENT_ID,
      clientSecret: process.env.SMOKE_CLIENT_SECRET,
      scope: process.env.SMOKE_SCOPE,
    };
  } else {
    try {
      client = JSON.parse(process.env.SMOKE_CLIENT ?? '');
    } catch {
      fail('configuration', 'SMOKE_CLIENT must be the JSON {"tokenUrl","clientId","clientSecret","scope"}, or set SMOKE_TOKEN_URL, SMOKE_CLIENT_ID and SMOKE_CLIENT_SECRET');
    }
  }
  for (const key of ['tokenUrl', 'clientId', 'clientSecret']) {
    if (typeof client?.[key] !== 'string' || client[key].length === 0) fail('configuration', `SMOKE_CLIENT lacks "${key}"`);
  }
  return { endpoint, client };
}

async function request(url, init = {}) {
  return fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

async function waitUntilReady(endpoint) {
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (const path of ['/healthz', '/readyz']) {
    const url = new URL(path, endpoint);
    for (;;) {
      let status = 'no answer';
      try {
        const response = await request(url);
        await response.body?.cancel();
        if (response.status === 200) break;
        status = `HTTP ${response.status}`;
      } catch (error) {
        status = error instanceof Error ? error.message : String(error);
      }
      if (Date.now() > deadline) fail(path, `not ready within ${READY_DEADLINE_MS / 1000} s (last: ${status})`);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
    console.log(`ok   ${path}`);
  }
}

async function clientCredentialsToken({ tokenUrl, clientId, clientSecret, scope }) {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope) body.set('scope', scope);
  const response = await request(tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body,
  });
  const json = await response.json().catch(() => undefined);
  if (response.status !== 200 || typeof json?.access_token !== 'string') {
    fail('token', `the token endpoint answered HTTP ${response.status}${json?.error ? ` (${json.error})` : ''}`);
  }
  console.log('ok   client-credentials token');
  return json.access_token;
}

/** Reads a JSON-RPC answer from a JSON or an SSE response. */
async function rpcResult(check, response, id) {
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  let messages = [];
  if (type.includes('text/event-stream')) {
    for (const event of text.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data) messages.push(JSON.parse(data));
    }
  } else if (type.includes('application/json')) {
    const parsed = JSON.parse(text);
    messages = Array.isArray(parsed) ? parsed : [parsed];
  } else {
    fail(check, `unexpected content type "${type}" (HTTP ${response.status})`);
  }
  const answer = messages.find((m) => m && m.id === id);
  if (!answer) fail(check, `no JSON-RPC answer with id ${id} (HTTP ${response.status})`);
  if (answer.error) fail(check, `JSON-RPC error ${answer.error.code}: ${answer.error.message}`);
  return answer.result;
}

async function main() {
  const { endpoint, client } = settings();
  await waitUntilReady(endpoint);

  const anonymous = await request(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'tools/list' }),
  });
  await anonymous.body?.cancel();
  if (anonymous.status !== 401 || !anonymous.headers.get('www-authenticate')) {
    fail('unauthenticated request', `expected 401 with WWW-Authenticate, got HTTP ${anonymous.status}`);
  }
  console.log('ok   unauthenticated request refused');

  const token = await clientCredentialsToken(client);
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  let nextId = 1;
  const call = async (check, method, params, sessionId) => {
    const id = nextId++;
    const response = await request(endpoint, {
      method: 'POST',
      headers: { ...headers, ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      fail(check, `HTTP ${response.status}`);
    }
    return { response, result: await rpcResult(check, response, id) };
  };

  const init = await call('initialize', 'initialize', {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'enterprise-mcp-kit-smoke-test', version: '1.0.0' },
  });
  const sessionId = init.response.headers.get('mcp-session-id');
  if (!sessionId) fail('initialize', 'no Mcp-Session-Id header');
  if (typeof init.result?.protocolVersion !== 'string') fail('initialize', 'no protocolVersion in the result');
  console.log(`ok   initialize (protocol ${init.result.protocolVersion})`);

  const initialized = await request(endpoint, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await initialized.body?.cancel();
  if (initialized.status !== 202 && initialized.status !== 200) fail('notifications/initialized', `HTTP ${initialized.status}`);

  const list = await call('tools/list', 'tools/list', {}, sessionId);
  const names = (list.result?.tools ?? []).map((tool) => tool.name);
  if (!names.includes(EXPECTED_TOOL)) fail('tools/list', `"${EXPECTED_TOOL}" is not listed (got ${JSON.stringify(names)})`);
  console.log(`ok   tools/list (${names.length} tools)`);

  const whoami = await call('tools/call', 'tools/call', { name: EXPECTED_TOOL, arguments: {} }, sessionId);
  if (whoami.result?.isError) fail('tools/call', `${EXPECTED_TOOL} answered with an error`);
  const identity = whoami.result?.structuredContent;
  if (identity && typeof identity.clientId === 'string' && identity.clientId !== client.clientId) {
    fail('tools/call', `${EXPECTED_TOOL} reports another client than the smoke client`);
  }
  console.log(`ok   tools/call ${EXPECTED_TOOL}`);

  const end = await request(endpoint, { method: 'DELETE', headers: { ...headers, 'mcp-session-id': sessionId } });
  await end.body?.cancel();
  if (![200, 202, 204].includes(end.status)) fail('DELETE session', `HTTP ${end.status}`);
  console.log('ok   session ended');
}

main().then(
  () => {
    console.log('smoke test passed');
  },
  (error) => {
    console.error(`FAIL ${error instanceof SmokeFailure ? error.message : `unexpected: ${error?.message ?? error}`}`);
    process.exitCode = 1;
  },
);
