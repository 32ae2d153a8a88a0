/**
 * A bounded memo of filtered resource contents and prompt messages.
 *
 * A resource's contents are typically the same read after read, and the output filter (redaction,
 * then moderation per profile) over a whole document is most of what a read costs. When the filter
 * is a pure function of the content and the profile (the local redaction and the local moderation
 * rules; never a remote moderation such as the Bedrock guardrail, which may change its verdict at
 * any time), its answer for the same content and profile is the same, and is kept here:
 *
 * - keyed by the exact content and the profile: every key and string of every block, length-prefixed
 *   (no digest, so no two contents can share a key), held within the byte bound;
 * - only for content of plain objects of strings (an embedded `resource` one level down), so that
 *   the key covers every field the filter reads and counts; the filter is given a copy taken from
 *   the keyed values, so what is kept is its answer for exactly that key;
 * - bounded in entries and in bytes (least recently used first out), no entry larger than a share
 *   of the bound, nothing kept when the filter throws (a limit, an abort): the next call filters again.
 *
 * A hit answers exactly what the filter answered for the same input: the filtered blocks (given out
 * as fresh copies, so no caller shares the stored ones), the same redaction counts and the same
 * verdict. Tool-call results are never kept here.
 */
import type { OutputFilter } from '../tools/invoke.js';
import type { OutputFilterProfile } from '../tools/definition.js';
import type { ContentBlock } from './content.js';

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

/**
 * The exact text of a plain object of strings (one level of nesting for an embedded `resource`):
 * every own key and value, length-prefixed in the order they come, so that two objects have the
 * same text only when they hold the same keys with the same strings. `undefined` for anything else
 * (another prototype, a value that is not a string), which is then not memoized.
 */
function exactText(value: unknown, nested: boolean): string | undefined {
  if (!isPlain(value)) return undefined;
  let text = '{';
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = value[key];
    let part: string | undefined;
    if (typeof item === 'string') part = `${item.length}:${item}`;
    else if (nested && key === 'resource') part = exactText(item, false);
    if (part === undefined) return undefined;
    text += `${key.length}:${key}${part}`;
  }
  return `${text}}`;
}

/** The memo key of `blocks` under `profile`, or `undefined` when the blocks are not plain strings (see `exactText`). */
function keyOf(blocks: readonly unknown[], profile: OutputFilterProfile): string | undefined {
  let key = `${profile.redactPersonalData ? 1 : 0}${profile.moderate ? 1 : 0}${blocks.length}`;
  for (const block of blocks) {
    const text = exactText(block, true);
    if (text === undefined) return undefined;
    key += text;
  }
  return key;
}

/** A fresh copy of blocks known to be plain strings (one nested `resource` object at most). */
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
      const key = keyOf(blocks, profile);
      if (key === undefined) return filtered(blocks, profile, signal);
      const kept = entries.get(key);
      if (kept) {
        // What the filter does first, as it would for this call.
        signal.throwIfAborted();
        entries.delete(key);
        entries.set(key, kept);
        return { content: copyBlocks(kept.outcome.content), redactions: { ...kept.outcome.redactions }, blocked: kept.outcome.blocked };
      }
      // The filter reads a copy taken from the keyed values, so that what is kept is the answer for exactly that key.
      const input = copyBlocks(blocks);
      const outcome = await filtered(input, profile, signal);
      const size = key.length + (keyOf(outcome.content, profile)?.length ?? Infinity);
      // Only an outcome that is itself plain strings is kept (it is copied out on a hit), and only one within an eighth of the bound.
      if (keyOf(input, profile) === key && size <= maxChars / 8) {
        entries.set(key, { outcome: { content: copyBlocks(outcome.content), redactions: { ...outcome.redactions }, blocked: outcome.blocked }, chars: size });
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
