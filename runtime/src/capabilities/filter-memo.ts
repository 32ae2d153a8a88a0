/**
 * A bounded memo of filtered resource contents and prompt messages.
 *
 * A resource's contents are typically the same read after read, and the output filter (redaction,
 * then moderation per profile) over a whole document is most of what a read costs. When the filter
 * is a pure function of the content and the profile (the local redaction and the local moderation
 * rules; never a remote moderation such as the Bedrock guardrail, which may change its verdict at
 * any time), its answer for the same content and profile is the same, and is kept here:
 *
 * - keyed by a SHA-256 digest of the exact content (its JSON text) and of the profile;
 * - only for content that is exactly in wire shape (plain objects with exactly the fields the wire
 *   keeps, all strings), so that the digest covers every field the filter reads and counts;
 * - bounded in entries and in bytes (least recently used first out), no entry larger than a share
 *   of the bound, nothing kept when the filter throws (a limit, an abort): the next call filters again.
 *
 * A hit answers exactly what the filter answered for the same input: the filtered blocks (given out
 * as fresh copies, so no caller shares the stored ones), the same redaction counts and the same
 * verdict. Tool-call results are never kept here.
 */
import { createHash } from 'node:crypto';
import type { OutputFilter } from '../tools/invoke.js';
import type { OutputFilterProfile } from '../tools/definition.js';
import { wireContentBlock, type ContentBlock } from './content.js';

/** What the filter answered for one content and profile. */
export interface FilterOutcome {
  readonly content: readonly ContentBlock[];
  readonly redactions: Readonly<Record<string, number>>;
  readonly blocked: boolean;
}

export interface FilterMemoOptions {
  /** Most outcomes kept. @default 256 */
  readonly maxEntries?: number;
  /** Most UTF-16 code units of content (input and output) kept over all entries. @default 8 MiB */
  readonly maxChars?: number;
}

const DEFAULT_MAX_ENTRIES = 256;
const DEFAULT_MAX_CHARS = 8 * 1024 * 1024;

function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether `value` is a plain object with exactly the keys of `wire`, each holding the identical string (or, for `resource`, such an object). */
function sameAsWire(value: unknown, wire: Readonly<Record<string, unknown>>): boolean {
  if (!isPlain(value)) return false;
  let keys = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    keys += 1;
    const expected = wire[key];
    if (expected === undefined) return false;
    if (typeof expected === 'string') {
      if (value[key] !== expected) return false;
    } else if (!sameAsWire(value[key], expected as Record<string, unknown>)) return false;
  }
  return keys === Object.keys(wire).length;
}

/** The blocks' JSON text, when every block is exactly in wire shape; else `undefined` (not memoizable). */
function wireText(blocks: readonly unknown[]): string | undefined {
  const wire: ContentBlock[] = [];
  for (const block of blocks) {
    const shaped = wireContentBlock(block);
    if (!shaped || !sameAsWire(block, shaped)) return undefined;
    wire.push(shaped);
  }
  return JSON.stringify(wire);
}

/** A fresh copy of stored blocks (wire-shaped by construction: only strings and one nested object). */
function copyBlocks(blocks: readonly ContentBlock[]): ContentBlock[] {
  return blocks.map((block) => (block.type === 'resource' ? { ...block, resource: { ...block.resource } } : { ...block }));
}

/** The output filter of resource contents and prompt messages, with a memo when the filter is pure. */
export interface ContentFilter {
  apply(blocks: readonly ContentBlock[], profile: OutputFilterProfile, signal: AbortSignal): Promise<FilterOutcome>;
  /** Outcomes kept now (for tests and the soak). */
  readonly size: number;
}

/**
 * The filter of `filter`, memoized when `filter.deterministic` says its answer depends only on the
 * content and the profile; otherwise every call goes to the filter.
 */
export function createContentFilter(filter: OutputFilter, options: FilterMemoOptions = {}): ContentFilter {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const entries = new Map<string, { outcome: FilterOutcome; chars: number }>();
  let chars = 0;

  async function filtered(blocks: readonly ContentBlock[], profile: OutputFilterProfile, signal: AbortSignal): Promise<FilterOutcome> {
    const out = await filter.apply({ content: blocks as ContentBlock[] }, profile, signal);
    return { content: out.result.content as ContentBlock[], redactions: out.redactions, blocked: out.blocked };
  }

  return {
    get size() {
      return entries.size;
    },
    async apply(blocks, profile, signal) {
      if (filter.deterministic !== true) return filtered(blocks, profile, signal);
      const text = wireText(blocks);
      if (text === undefined) return filtered(blocks, profile, signal);
      const key = createHash('sha256').update(`${profile.redactPersonalData ? 1 : 0}${profile.moderate ? 1 : 0}\n`).update(text).digest('base64');
      const kept = entries.get(key);
      if (kept) {
        // What the filter does first, as it would for this call.
        signal.throwIfAborted();
        entries.delete(key);
        entries.set(key, kept);
        return { content: copyBlocks(kept.outcome.content), redactions: { ...kept.outcome.redactions }, blocked: kept.outcome.blocked };
      }
      const outcome = await filtered(blocks, profile, signal);
      const out = wireText(outcome.content);
      const size = text.length + (out?.length ?? 0);
      // Only an outcome that is itself plain wire-shaped strings is kept (it is copied out on a hit).
      if (out !== undefined && size <= maxChars / 8) {
        const stored: FilterOutcome = { content: copyBlocks(outcome.content), redactions: { ...outcome.redactions }, blocked: outcome.blocked };
        entries.set(key, { outcome: stored, chars: size });
        chars += size;
        for (const [oldest, entry] of entries) {
          if (entries.size <= maxEntries && chars <= maxChars) break;
          entries.delete(oldest);
          chars -= entry.chars;
        }
      }
      return outcome;
    },
  };
}
