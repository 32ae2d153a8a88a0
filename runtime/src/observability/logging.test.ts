import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { type AccessRecord, createObservability, type IdentifierHash, INVALID, type LogLevel, type Observability } from './index.js';
import { accessLine, toAccessFields } from './logging.js';
import { scrubbingReplacer } from './scrub.js';
import { captureStream } from './test-helpers.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ1c2VyLTEiLCJhdWQiOiJodHRwczovL21jcCJ9.c2lnbmF0dXJlLWJ5dGVz';
const TOKEN_LOOKING = /eyJ[\w-]*\.[\w-]*\.|bearer\s+\S/i;

function observability(logLevel: LogLevel = 'INFO', extra: { identifierHashKey?: string } = {}): { obs: Observability; out: ReturnType<typeof captureStream> } {
  const out = captureStream();
  const obs = createObservability({ serviceName: 'enterprise-mcp', logLevel, metricsNamespace: 'Ns', region: 'eu-west-1', logStream: out.stream, ...extra });
  return { obs, out };
}

describe('access log', () => {
  test('writes exactly one JSON line with exactly the access fields', async () => {
    const { obs, out } = observability();
    const trace = obs.startRequest({}, 'mcp');
    const principalHash = obs.hashIdentifier('https://issuer.example.com|user-1');
    const sessionHash = obs.hashIdentifier('3f1c0a9b7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b3a2918070f1e2d3c');

    obs.accessLog({
      status: 200,
      method: 'tools/call',
      tool: 'whoami',
      outcome: 'ok',
      latencyMs: 12.345,
      bytesIn: 321,
      bytesOut: 1234,
      principalHash,
      sessionHash,
      traceId: trace.traceId,
      protocolEra: 'legacy',
    });
    await obs.close();

    const lines = out.lines();
    assert.equal(lines.length, 1, 'one line, and no metrics were counted');
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(record), [
      'time',
      'status',
      'method',
      'tool',
      'outcome',
      'latencyMs',
      'region',
      'bytesIn',
      'bytesOut',
      'principalHash',
      'sessionHash',
      'traceId',
      'protocolEra',
    ]);
    assert.ok(Math.abs(Date.parse(record.time as string) - Date.now()) < 5000);
    assert.deepEqual({ ...record, time: undefined }, {
      time: undefined,
      status: 200,
      method: 'tools/call',
      tool: 'whoami',
      outcome: 'ok',
      latencyMs: 12.3,
      region: 'eu-west-1',
      bytesIn: 321,
      bytesOut: 1234,
      principalHash,
      sessionHash,
      traceId: trace.traceId,
      protocolEra: 'legacy',
    });
  });

  test('leaves out optional fields that are absent', () => {
    const { obs, out } = observability();
    obs.accessLog({ status: 401, method: 'POST', outcome: 'unauthenticated', latencyMs: 1, bytesIn: 0, bytesOut: 0, traceId: obs.startRequest({}, 'mcp').traceId });
    assert.deepEqual(Object.keys(out.records()[0]!), ['time', 'status', 'method', 'outcome', 'latencyMs', 'region', 'bytesIn', 'bytesOut', 'traceId']);
    void obs.close();
  });

  test('never contains a token-looking string, even when one is put in a field by mistake', () => {
    const { obs, out } = observability();
    const mistaken = {
      status: 200,
      method: `Bearer ${JWT}`,
      tool: JWT,
      outcome: 'ok',
      latencyMs: 3,
      bytesIn: 1,
      bytesOut: 2,
      principalHash: JWT,
      sessionHash: 'Bearer abcdefghijklmnop',
      traceId: JWT,
      // fields an AccessRecord does not have, smuggled in through a wider object
      authorization: `Bearer ${JWT}`,
      arguments: { note: 'my card is 4111 1111 1111 1111' },
    } as unknown as AccessRecord;

    obs.accessLog(mistaken);

    const [line] = out.lines();
    assert.ok(line);
    assert.equal(TOKEN_LOOKING.test(line), false, line);
    assert.equal(line.includes('4111'), false);
    const record = JSON.parse(line) as Record<string, unknown>;
    assert.equal(record.authorization, undefined);
    assert.equal(record.arguments, undefined);
    for (const field of ['method', 'tool', 'principalHash', 'sessionHash', 'traceId']) assert.equal(record[field], INVALID, field);
    void obs.close();
  });

  test('is written whatever the log level; diagnostics follow the level', () => {
    const { obs, out } = observability('ERROR');
    obs.logger.info('not written');
    obs.logger.warn('not written either');
    obs.accessLog({ status: 200, method: 'ping', outcome: 'ok', latencyMs: 1, bytesIn: 1, bytesOut: 1, traceId: obs.startRequest({}, 'mcp').traceId });
    obs.logger.error('written');
    const records = out.records();
    assert.equal(records.length, 2);
    assert.equal(records[0]!.method, 'ping');
    assert.equal(records[1]!.message, 'written');
    void obs.close();
  });
});

describe('error log', () => {
  test('writes the private cause with message and stack at ERROR, under the correlation id', () => {
    const { obs, out } = observability('WARN');
    const trace = obs.startRequest({}, 'mcp');
    const cause = new Error('conditional check failed on item user-1', { cause: new RangeError('inner detail') });

    obs.errorLog(trace.traceId, cause, { where: 'tools/call', tool: 'notes' });

    const [record] = out.records() as Array<Record<string, unknown> & { error: Record<string, unknown> }>;
    assert.ok(record);
    assert.equal(record.level, 'ERROR');
    assert.equal(record.message, 'request failed');
    assert.equal(record.service, 'enterprise-mcp');
    assert.equal(record.region, 'eu-west-1');
    assert.equal(record.traceId, trace.traceId);
    assert.equal(record.where, 'tools/call');
    assert.equal(record.tool, 'notes');
    assert.equal(record.error.name, 'Error');
    assert.equal(record.error.message, 'conditional check failed on item user-1');
    assert.match(record.error.stack as string, /logging\.test\.ts/);
    assert.deepEqual((record.error.cause as Record<string, unknown>).message, 'inner detail');
    void obs.close();
  });

  test('logs thrown non-errors, and scrubs tokens out of messages, stacks and nested values', () => {
    const { obs, out } = observability();
    const id = obs.startRequest({}, 'mcp').traceId;
    obs.errorLog(id, new Error(`upstream said: Bearer ${JWT}`), { where: 'authenticate' });
    obs.errorLog(id, { response: { headers: { Authorization: `Bearer ${JWT}` } } }, { where: 'session' });
    obs.errorLog(id, 'plain string', { where: 'http' });
    obs.errorLog(id, undefined, { where: 'http', tool: 'Not A Tool' });
    obs.logger.info('debugging a request', { request: { headers: { authorization: `Bearer ${JWT}` } }, [JWT]: 1 });

    const lines = out.lines();
    assert.equal(lines.length, 5);
    for (const line of lines) assert.equal(TOKEN_LOOKING.test(line), false, line);
    const records = out.records();
    assert.equal((records[0]!.error as Record<string, unknown>).message, 'upstream said: [REDACTED]');
    assert.deepEqual(records[1]!.cause, { response: { headers: { Authorization: '[REDACTED]' } } });
    assert.equal(records[2]!.cause, 'plain string');
    assert.equal(records[3]!.cause, 'undefined');
    assert.equal(records[3]!.tool, INVALID);
    void obs.close();
  });
});

describe('hashIdentifier', () => {
  test('gives a stable 16-hex pseudonym, the same in every instance (so in every task and region)', () => {
    const a = observability().obs;
    const b = observability().obs;
    const hash = a.hashIdentifier('https://issuer.example.com|user-1');
    assert.match(hash, /^[0-9a-f]{16}$/);
    assert.equal(b.hashIdentifier('https://issuer.example.com|user-1'), hash);
    assert.notEqual(a.hashIdentifier('https://issuer.example.com|user-2'), hash);
    const plain = createHash('sha256').update('https://issuer.example.com|user-1').digest('hex').slice(0, 16);
    assert.notEqual(hash, plain, 'a plain sha256 table from elsewhere does not match');
    void a.close();
    void b.close();
  });

  test('with a key, is an HMAC: same key same hash, other key other hash', () => {
    const keyed = observability('INFO', { identifierHashKey: 'k1' }).obs;
    const same = observability('INFO', { identifierHashKey: 'k1' }).obs;
    const other = observability('INFO', { identifierHashKey: 'k2' }).obs;
    const hash: IdentifierHash = keyed.hashIdentifier('alice@example.com');
    assert.equal(same.hashIdentifier('alice@example.com'), hash);
    assert.notEqual(other.hashIdentifier('alice@example.com'), hash);
    const unkeyed = observability().obs;
    assert.notEqual(unkeyed.hashIdentifier('alice@example.com'), hash);
    for (const obs of [keyed, same, other, unkeyed]) void obs.close();
  });

  test('refuses empty values; a token-shaped subject gets a pseudonym like any other', () => {
    const { obs } = observability();
    assert.throws(() => obs.hashIdentifier(''), TypeError);
    const subject = 'https://issuer.example.com|eyJohn.smith.jr';
    assert.match(obs.hashIdentifier(subject), /^[0-9a-f]{16}$/);
    assert.equal(obs.hashIdentifier(subject), obs.hashIdentifier(subject));
    assert.notEqual(obs.hashIdentifier(JWT), obs.hashIdentifier(subject));
    void obs.close();
  });
});

describe('access line', () => {
  test('is exactly what the scrubbing replacer writes for the access fields, token-shaped input included', () => {
    const JWT_VALUE = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';
    const records: AccessRecord[] = [
      { status: 200, method: 'tools/call', tool: 'whoami', outcome: 'ok', latencyMs: 1.25, bytesIn: 10, bytesOut: 20, traceId: '1-5759e988-bd862e3fe1be46a994272793' as AccessRecord['traceId'], protocolEra: 'modern' },
      { status: 401, method: 'POST', outcome: 'unauthenticated', latencyMs: 0, bytesIn: 0, bytesOut: 0, traceId: 'nope' as AccessRecord['traceId'] },
      {
        status: 999,
        method: `Bearer ${JWT_VALUE}`,
        tool: JWT_VALUE,
        outcome: 'weird' as AccessRecord['outcome'],
        latencyMs: Number.NaN,
        bytesIn: -1,
        bytesOut: 1e9,
        principalHash: JWT_VALUE as IdentifierHash,
        sessionHash: 'Bearer abc' as IdentifierHash,
        traceId: JWT_VALUE as AccessRecord['traceId'],
      },
    ];
    const now = new Date('2026-01-02T03:04:05.678Z');
    for (const record of records) {
      const fields = toAccessFields(record, 'eu-west-1', now);
      const present = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null && value !== ''));
      assert.equal(accessLine(record, 'eu-west-1', now), JSON.stringify(present, scrubbingReplacer));
    }
  });

  test('an optional field given as undefined is left out, as if it were absent', () => {
    const now = new Date('2026-01-02T03:04:05.678Z');
    const traceId = '1-5759e988-bd862e3fe1be46a994272793' as AccessRecord['traceId'];
    const bare: AccessRecord = { status: 200, method: 'tools/list', outcome: 'ok', latencyMs: 2, bytesIn: 1, bytesOut: 2, traceId };
    const spelled: AccessRecord = { ...bare, tool: undefined, principalHash: undefined, clientId: undefined, sessionHash: undefined, spanId: undefined, protocolEra: undefined, resultType: undefined };
    assert.deepEqual(Object.keys(toAccessFields(spelled, 'eu-west-1', now)), ['time', 'status', 'method', 'outcome', 'latencyMs', 'region', 'bytesIn', 'bytesOut', 'traceId']);
    assert.equal(accessLine(spelled, 'eu-west-1', now), accessLine(bare, 'eu-west-1', now));
  });
});
