import type { OutputFilter } from '../tools/invoke.js';
import type { SamplingScreen } from './legacy-serve.js';

/** What a sampling request passes: every filter on (secrets, personal data, moderation). */
const SAMPLING_PROFILE = { redactPersonalData: true, moderate: true } as const;

type Block = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The text blocks of one sampling message's content (a block, or a list of them in 2025-11-25). */
function textBlocks(content: unknown): Block[] {
  const blocks = Array.isArray(content) ? content : [content];
  return blocks.filter((block): block is Block => isObject(block) && block.type === 'text' && typeof block.text === 'string');
}

/**
 * The screen every sampling request of the server passes before it leaves: the system prompt and
 * every text block of every message go through the kit's output filter (redaction, then moderation)
 * as one result. Returns the params with the filtered texts, or `undefined` (withheld) when moderation
 * blocks them or the filter fails.
 */
export function samplingScreen(filter: OutputFilter, onFailure: (cause: unknown) => void): SamplingScreen {
  return async (params, signal) => {
    if (!isObject(params) || !Array.isArray(params.messages)) return undefined;
    const copy = structuredClone(params) as { messages: Array<{ content?: unknown }>; systemPrompt?: unknown };
    const slots: Array<{ set: (text: string) => void; text: string }> = [];
    if (typeof copy.systemPrompt === 'string') slots.push({ text: copy.systemPrompt, set: (text) => (copy.systemPrompt = text) });
    for (const message of copy.messages) {
      for (const block of textBlocks(isObject(message) ? message.content : undefined)) slots.push({ text: block.text as string, set: (text) => (block.text = text) });
    }
    if (slots.length === 0) return copy;
    try {
      const filtered = await filter.apply({ content: slots.map((slot) => ({ type: 'text', text: slot.text })) }, SAMPLING_PROFILE, signal);
      if (filtered.blocked || filtered.result.content.length !== slots.length) return undefined;
      filtered.result.content.forEach((block, index) => slots[index]!.set(block.type === 'text' ? block.text : ''));
      return copy;
    } catch (error) {
      onFailure(error);
      return undefined;
    }
  };
}
