/**
 * The MCP content a tool result, a resource read or a prompt message may carry, and the one check
 * of its shape before anything leaves the process: handlers are typed to return these shapes, and
 * the check keeps one that breaks its type from reaching the client in a shape the protocol does
 * not allow, or with fields the platform did not filter.
 */

/** One item of a `resources/read` answer: text, or bytes in base64. */
export type ResourceContents =
  | { readonly uri: string; readonly mimeType: string; readonly text: string }
  | { readonly uri: string; readonly mimeType: string; readonly blob: string };

/** MCP content blocks: text, image, audio, an embedded resource, or a link to a resource. */
export type ContentBlock =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'image'; readonly data: string; readonly mimeType: string }
  | { readonly type: 'audio'; readonly data: string; readonly mimeType: string }
  | { readonly type: 'resource'; readonly resource: ResourceContents }
  | { readonly type: 'resource_link'; readonly uri: string; readonly name: string; readonly mimeType?: string; readonly description?: string };

/** Longest URI, name or MIME type a content item may carry. */
const MAX_LABEL_LENGTH = 2_048;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_LABEL_LENGTH;
}

/** Whether `value` is canonical base64 (what `Buffer` writes back is exactly what was given). */
export function isBase64(value: unknown): value is string {
  return typeof value === 'string' && value.length % 4 === 0 && Buffer.from(value, 'base64').toString('base64') === value;
}

/** The wire form of resource contents (known fields only), or `undefined` when the shape is not allowed. */
export function wireResourceContents(value: unknown): ResourceContents | undefined {
  if (!isObject(value) || !isLabel(value.uri) || !isLabel(value.mimeType)) return undefined;
  const hasText = typeof value.text === 'string';
  const hasBlob = value.blob !== undefined;
  if (hasText === hasBlob) return undefined;
  if (hasText) return { uri: value.uri, mimeType: value.mimeType, text: value.text as string };
  return isBase64(value.blob) ? { uri: value.uri, mimeType: value.mimeType, blob: value.blob } : undefined;
}

/** The wire form of a content block (known fields only), or `undefined` when the shape is not allowed. */
export function wireContentBlock(value: unknown): ContentBlock | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case 'text':
      return typeof value.text === 'string' ? { type: 'text', text: value.text } : undefined;
    case 'image':
    case 'audio':
      return isBase64(value.data) && isLabel(value.mimeType) ? { type: value.type, data: value.data, mimeType: value.mimeType } : undefined;
    case 'resource': {
      const resource = wireResourceContents(value.resource);
      return resource ? { type: 'resource', resource } : undefined;
    }
    case 'resource_link': {
      if (!isLabel(value.uri) || !isLabel(value.name)) return undefined;
      if (value.mimeType !== undefined && !isLabel(value.mimeType)) return undefined;
      if (value.description !== undefined && typeof value.description !== 'string') return undefined;
      return {
        type: 'resource_link',
        uri: value.uri,
        name: value.name,
        ...(value.mimeType !== undefined ? { mimeType: value.mimeType as string } : {}),
        ...(value.description !== undefined ? { description: value.description as string } : {}),
      };
    }
    default:
      return undefined;
  }
}

/** The text of content that moderation reads: text blocks, embedded text resources, link descriptions. */
export function moderatedText(blocks: readonly ContentBlock[]): string {
  const parts: string[] = [];
  for (const block of blocks) {
    if (block.type === 'text') parts.push(block.text);
    else if (block.type === 'resource' && 'text' in block.resource) parts.push(block.resource.text);
    else if (block.type === 'resource_link' && block.description !== undefined) parts.push(block.description);
  }
  return parts.join('\n');
}
