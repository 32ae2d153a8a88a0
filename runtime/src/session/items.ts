import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { StateTooLargeError } from './errors.js';
import { itemSizeBytes, MAX_STORED_ITEM_BYTES } from './item-size.js';
import { SESSION_TABLE } from './table-schema.js';

/** A DynamoDB item as the low-level client reads and writes it. */
export type Item = Record<string, AttributeValue>;

/** Attribute names. Key and TTL attributes come from the shared table definition. */
export const A = {
  pk: SESSION_TABLE.partitionKey,
  sk: SESSION_TABLE.sortKey,
  expiresAt: SESSION_TABLE.ttlAttribute,
  idHash: 'idHash',
  createdAt: 'createdAt',
  issuer: 'issuer',
  subject: 'subject',
  clientId: 'clientId',
  protocolVersion: 'protocolVersion',
  clientInfo: 'clientInfo',
  clientCapabilities: 'clientCapabilities',
  lastUsedAt: 'lastUsedAt',
  idleExpiresAt: 'idleExpiresAt',
  absoluteExpiresAt: 'absoluteExpiresAt',
  version: 'version',
  logLevel: 'logLevel',
  stateLinked: 'stateLinked',
  inputsLinked: 'inputsLinked',
  scope: 'scope',
  kind: 'kind',
  value: 'value',
  mintedAt: 'mintedAt',
  updatedAt: 'updatedAt',
} as const;

export function key(pk: string, sk: string): Item {
  return { [A.pk]: str(pk), [A.sk]: str(sk) };
}

export function str(value: string): AttributeValue {
  return { S: value };
}

export function num(value: number): AttributeValue {
  return { N: String(value) };
}

/**
 * What a session item says about the items tied to it, as its `stateLinked` / `inputsLinked`
 * attribute: `false` only when the session was created without them and nothing has linked one
 * since. An item without the attribute (written before it existed) may have any.
 */
export function mayHaveLinked(item: Item, name: typeof A.stateLinked | typeof A.inputsLinked): boolean {
  return item[name]?.BOOL !== false;
}

export function readString(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

export function readNumber(item: Item, name: string): number | undefined {
  const raw = item[name]?.N;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** Reads an ISO 8601 time string as epoch milliseconds. */
export function readIsoTime(item: Item, name: string): number | undefined {
  const raw = readString(item, name);
  if (raw === undefined) return undefined;
  const value = Date.parse(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** The JSON document in the `value` attribute, or `undefined` when it is missing or malformed. */
export function readJson(item: Item): { parsed: unknown } | undefined {
  const raw = readString(item, A.value);
  if (raw === undefined) return undefined;
  try {
    return { parsed: JSON.parse(raw) as unknown };
  } catch {
    return undefined;
  }
}

/** `JSON.stringify`, refusing values that have no JSON form. */
export function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (typeof json !== 'string') throw new TypeError('the value must be JSON-serializable');
  return json;
}

/** Throws `StateTooLargeError` when `item` would not fit in one DynamoDB item. */
export function assertFits(item: Item): void {
  const size = itemSizeBytes(item);
  if (size > MAX_STORED_ITEM_BYTES) throw new StateTooLargeError(size, MAX_STORED_ITEM_BYTES);
}

/** Whether the item's TTL attribute lies in the future. */
export function itemLive(item: Item, now: number): boolean {
  const ttl = readNumber(item, A.expiresAt);
  return ttl !== undefined && now < ttl * 1000;
}
