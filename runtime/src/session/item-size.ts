import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** DynamoDB's maximum item size: 400 KB, names and values together. */
export const DYNAMODB_MAX_ITEM_BYTES = 400 * 1024;

/** Largest item this store writes: the DynamoDB limit less a margin for the estimate's rounding. */
export const MAX_STORED_ITEM_BYTES = DYNAMODB_MAX_ITEM_BYTES - 2 * 1024;

/** The most bytes DynamoDB counts for one number (38 significant digits). */
const MAX_NUMBER_BYTES = 21;

/**
 * Size of an item as DynamoDB counts it: every attribute name in UTF-8 plus its value (strings in
 * UTF-8, numbers at their worst case, one byte per boolean or null, three bytes plus one per element
 * for lists and maps). Errs on the large side, never below what DynamoDB would count.
 */
export function itemSizeBytes(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name, 'utf8') + attributeValueBytes(value);
  }
  return size;
}

function attributeValueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return MAX_NUMBER_BYTES;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.length * MAX_NUMBER_BYTES;
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + attributeValueBytes(v), 0);
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemSizeBytes(value.M);
  throw new TypeError('unsupported attribute value type');
}
