import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ownerKey } from '../auth/principal.js';
import { isLogLevel } from '../logging/index.js';
import { isConditionalCheckFailed } from './client.js';
import { ownerDigest, sessionSlotOf, sha256Hex } from './ids.js';
import { A, key, num, readIsoTime, readNumber, readString, str, type Item } from './items.js';
import type { ClientInfo, InputCapabilities, SessionCaller, SessionOwner, SessionRecord } from './store.js';
import type { TableCalls } from './table-calls.js';

const MAX_CLIENT_INFO_FIELD = 256;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SLOT_PREFIX = 'slot#';

/** Partition key of an owner's session slots: `sessions#<owner digest>`. */
export function sessionsPk(owner: SessionOwner): string {
  return `sessions#${ownerDigest(owner.issuer, owner.subject)}`;
}

/** Key of slot `slot` of the owner's sessions. */
export function sessionKey(owner: SessionOwner, slot: number): Item {
  return key(sessionsPk(owner), `${SLOT_PREFIX}${slot}`);
}

/** The slot number in a session item's sort key, or `undefined` when it is not one. */
export function slotOfSortKey(sk: string | undefined): number | undefined {
  if (sk === undefined || !sk.startsWith(SLOT_PREFIX)) return undefined;
  const slot = Number(sk.slice(SLOT_PREFIX.length));
  return Number.isSafeInteger(slot) && slot >= 0 ? slot : undefined;
}

/** Whether a session is neither idle- nor absolutely expired at `now`. */
export function isLive(record: Pick<SessionRecord, 'idleExpiresAt' | 'absoluteExpiresAt'>, now: number): boolean {
  return now < record.idleExpiresAt && now < record.absoluteExpiresAt;
}

/**
 * Whether `caller` may use the session: same issuer and subject (the owner) and the same OAuth
 * client, all compared exactly. A session opened by one client of a user is not another client's.
 */
export function usableBy(record: Pick<SessionRecord, 'issuer' | 'subject' | 'clientId'>, caller: SessionCaller): boolean {
  return record.issuer === caller.issuer && record.subject === caller.subject && record.clientId === caller.clientId;
}

/** The item of a session record in its slot, holding the SHA-256 of the id, never the id. */
export function sessionItem(owner: SessionOwner, slot: number, idHash: string, record: SessionRecord): Item {
  return {
    ...sessionKey(owner, slot),
    [A.idHash]: str(idHash),
    [A.issuer]: str(record.issuer),
    [A.subject]: str(record.subject),
    [A.clientId]: str(record.clientId),
    [A.protocolVersion]: str(record.protocolVersion),
    [A.clientInfo]: str(JSON.stringify(record.clientInfo)),
    [A.clientCapabilities]: str(JSON.stringify(record.clientCapabilities)),
    [A.createdAt]: str(new Date(record.createdAt).toISOString()),
    [A.lastUsedAt]: num(record.lastUsedAt),
    [A.idleExpiresAt]: num(record.idleExpiresAt),
    [A.absoluteExpiresAt]: num(record.absoluteExpiresAt),
    [A.expiresAt]: num(record.expiresAt),
    [A.version]: num(record.version),
    // Nothing is tied to a new session yet: its first state document or pending input request sets these.
    [A.stateLinked]: { BOOL: false },
    [A.inputsLinked]: { BOOL: false },
    ...(record.logLevel !== undefined ? { [A.logLevel]: str(record.logLevel) } : {}),
  };
}

/**
 * Marks session `sessionId` of `owner` as having items of kind `link` tied to it, so that its
 * deletion looks for them. One conditional update of the session item; returns `false`, writing
 * nothing, when the slot no longer holds that session (deleted or replaced), and the caller then
 * removes what it just tied to it. Tying an item first and marking after means that a deletion
 * either sees the mark (and finds the item, written before it) or came first (and the mark fails).
 *
 * @throws SessionStoreUnavailableError when the store does not answer in time.
 */
export async function linkToSession(calls: TableCalls, owner: SessionOwner, sessionId: string, link: typeof A.stateLinked | typeof A.inputsLinked): Promise<boolean> {
  const slot = sessionSlotOf(sessionId);
  if (slot === undefined) return false;
  try {
    await calls.call('UpdateItem', (abortSignal) =>
      calls.client.send(
        new UpdateItemCommand({
          TableName: calls.table,
          Key: sessionKey(owner, slot),
          UpdateExpression: 'SET #link = :true',
          ConditionExpression: '#h = :h',
          ExpressionAttributeNames: { '#link': link, '#h': A.idHash },
          ExpressionAttributeValues: { ':true': { BOOL: true }, ':h': str(sha256Hex(sessionId)) },
        }),
        { abortSignal },
      ),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/** Reads a session item back; anything malformed reads as absent. */
export function parseSession(item: Item): SessionRecord | undefined {
  const issuer = readString(item, A.issuer);
  const subject = readString(item, A.subject);
  const clientId = readString(item, A.clientId);
  const protocolVersion = readString(item, A.protocolVersion);
  const clientInfoJson = readString(item, A.clientInfo);
  const createdAt = readIsoTime(item, A.createdAt);
  const lastUsedAt = readNumber(item, A.lastUsedAt);
  const idleExpiresAt = readNumber(item, A.idleExpiresAt);
  const absoluteExpiresAt = readNumber(item, A.absoluteExpiresAt);
  const expiresAt = readNumber(item, A.expiresAt);
  const version = readNumber(item, A.version);
  const logLevel = readString(item, A.logLevel);
  if (
    issuer === undefined ||
    subject === undefined ||
    clientId === undefined ||
    protocolVersion === undefined ||
    clientInfoJson === undefined ||
    createdAt === undefined ||
    lastUsedAt === undefined ||
    idleExpiresAt === undefined ||
    absoluteExpiresAt === undefined ||
    expiresAt === undefined ||
    version === undefined
  ) {
    return undefined;
  }
  let clientInfo: ClientInfo;
  let clientCapabilities: InputCapabilities;
  try {
    clientInfo = boundClientInfo(JSON.parse(clientInfoJson) as ClientInfo);
    const capabilitiesJson = readString(item, A.clientCapabilities);
    clientCapabilities = capabilitiesJson === undefined ? {} : boundInputCapabilities(JSON.parse(capabilitiesJson));
  } catch {
    return undefined;
  }
  return {
    owner: ownerKey({ issuer, subject }),
    issuer,
    subject,
    clientId,
    protocolVersion,
    clientInfo,
    clientCapabilities,
    createdAt,
    lastUsedAt,
    idleExpiresAt,
    absoluteExpiresAt,
    expiresAt,
    version,
    // Anything else than a level is ignored: no logs, as before any `logging/setLevel`.
    ...(isLogLevel(logLevel) ? { logLevel } : {}),
  };
}

/** Keeps `name`, `version` and `title` of a client's self-description, each cut to a bounded length. */
export function boundClientInfo(info: ClientInfo | undefined): ClientInfo {
  const name = cut(info?.name) ?? 'unknown';
  const version = cut(info?.version) ?? 'unknown';
  const title = cut(info?.title);
  return title === undefined ? { name, version } : { name, version, title };
}

function cut(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  // A string of at most MAX UTF-16 units has at most MAX code points: only a longer one is split.
  const codePoints = value.length > MAX_CLIENT_INFO_FIELD ? Array.from(value) : undefined;
  const bounded = codePoints !== undefined && codePoints.length > MAX_CLIENT_INFO_FIELD ? codePoints.slice(0, MAX_CLIENT_INFO_FIELD).join('') : value;
  return bounded.replace(LONE_SURROGATE, '\uFFFD');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `{}` for each of `keys` that `value` holds as an object: the only shape the input sub-capabilities take. */
function presentKeys<K extends string>(value: Record<string, unknown>, keys: readonly K[]): Partial<Record<K, Record<string, never>>> {
  const kept: Partial<Record<K, Record<string, never>>> = {};
  for (const name of keys) if (isObject(value[name])) kept[name] = {};
  return kept;
}

/**
 * The input kinds of a client's declared `capabilities`, reduced to what the server may ask for:
 * `elicitation` (`form`, `url`), `sampling` (`context`, `tools`) and `roots` (`listChanged`), each
 * present only when declared as an object. Everything else the client declared is dropped, so what
 * is stored stays a few bytes whatever the client sent.
 */
export function boundInputCapabilities(capabilities: unknown): InputCapabilities {
  if (!isObject(capabilities)) return {};
  const { elicitation, sampling, roots } = capabilities;
  return {
    ...(isObject(elicitation) ? { elicitation: presentKeys(elicitation, ['form', 'url'] as const) } : {}),
    ...(isObject(sampling) ? { sampling: presentKeys(sampling, ['context', 'tools'] as const) } : {}),
    ...(isObject(roots) ? { roots: roots.listChanged === true ? { listChanged: true } : {} } : {}),
  };
}
