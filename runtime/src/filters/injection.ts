/**
 * Text checks shared by the tool-catalog lint (names, titles, descriptions) and the local
 * moderation rules (tool output): characters a reader cannot see, and text that tries to give the
 * model instructions. Patterns compiled once; every quantifier bounded.
 */
import { FilterLimitError, MAX_FILTER_TEXT_LENGTH } from './limits.js';

/**
 * Characters that render as nothing or reorder text: format characters (zero-width space and
 * joiners, bidi embeddings, overrides and isolates, soft hyphen, word joiner, BOM, the Unicode tag
 * block U+E0000–E007F), control characters other than tab and line breaks, variation selectors,
 * Hangul and Braille fillers, private-use characters.
 */
export const INVISIBLE_CHARACTER =
  /(?![\t\n\r])[\p{Cf}\p{Cc}\p{Co}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2800\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/u;
const INVISIBLE_CHARACTERS = new RegExp(INVISIBLE_CHARACTER.source, 'gu');

/** Where an invisible character sits in a text. */
export interface InvisibleCharacter {
  /** The code point as `U+XXXX`. */
  readonly codePoint: string;
  /** UTF-16 index in the text. */
  readonly index: number;
}

/**
 * Finds the first character in `text` that a reader cannot see (zero-width characters, bidi
 * controls, Unicode tags, variation selectors, control characters other than tab and line breaks).
 * Returns its code point and position, or `undefined` when there is none.
 */
export function findInvisibleCharacter(text: string): InvisibleCharacter | undefined {
  const m = INVISIBLE_CHARACTER.exec(text);
  if (!m) return undefined;
  const cp = m[0].codePointAt(0) ?? 0;
  return { codePoint: `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`, index: m.index };
}

/** Removes every character {@link findInvisibleCharacter} would report. */
export function removeInvisibleCharacters(text: string): string {
  return text.replace(INVISIBLE_CHARACTERS, '');
}

const WHITESPACE_RUN = new RegExp(String.raw`\s{2,${MAX_FILTER_TEXT_LENGTH}}`, 'g');

/** Characters normalised at a time; a chunk never ends between the two halves of a surrogate pair. */
const NORMALIZE_CHUNK = 16_384;
/** Longest compatibility-normalised text accepted; NFKC can expand one character to up to 18. */
const MAX_NORMALIZED_LENGTH = 2 * MAX_FILTER_TEXT_LENGTH;

/**
 * NFKC in chunks, refusing a text whose normal form grows beyond twice the filter limit before
 * spending the time and memory to build all of it.
 */
function compatibilityNormalize(text: string): string {
  if (text.length <= NORMALIZE_CHUNK) return text.normalize('NFKC');
  const parts: string[] = [];
  let length = 0;
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + NORMALIZE_CHUNK, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end++;
    const part = text.slice(start, end).normalize('NFKC');
    length += part.length;
    if (length > MAX_NORMALIZED_LENGTH) throw new FilterLimitError('text-too-long');
    parts.push(part);
    start = end;
  }
  return parts.join('');
}

/**
 * The form of a text that phrase rules match against: compatibility-normalised (NFKC, so
 * full-width and other look-alike letters become plain ones), invisible characters removed, runs of
 * white space collapsed to one space.
 *
 * @throws FilterLimitError when the normalised text would be longer than twice
 *   `MAX_FILTER_TEXT_LENGTH` (a few compatibility characters expand up to eighteen-fold).
 */
export function normalizeForMatching(text: string): string {
  return removeInvisibleCharacters(compatibilityNormalize(text)).replace(WHITESPACE_RUN, ' ');
}

const S = String.raw`\s{1,4}`;
const EARLIER = String.raw`(?:previous|prior|above|earlier|preceding|former|original|system)`;
const ORDERS = String.raw`(?:instructions?|prompts?|messages?|rules|directions|directives|guidelines|context)`;
const THE = String.raw`(?:(?:all|any|the|your|of|everything)${S}){0,3}`;

/**
 * Named instruction-injection phrase families. Case-insensitive; matched against the
 * {@link normalizeForMatching} form of a text.
 */
export const INSTRUCTION_INJECTION_RULES: ReadonlyArray<{ readonly name: string; readonly pattern: RegExp }> = [
  {
    name: 'ignore-previous-instructions',
    pattern: new RegExp(String.raw`\b(?:ignore|disregard|forget|override|bypass)${S}${THE}${EARLIER}${S}${ORDERS}\b`, 'i'),
  },
  {
    name: 'hide-from-user',
    pattern: new RegExp(
      String.raw`\b(?:do${S}not|don't|never)${S}(?:tell|inform|mention|reveal|show|disclose)(?:${S}(?:this|it|anything|that))?(?:${S}to)?${S}the${S}user\b|\bwithout${S}(?:telling|informing|notifying|alerting)${S}the${S}user\b`,
      'i',
    ),
  },
  {
    name: 'role-tag',
    pattern: /<\/?\s{0,4}(?:system|instructions?|important|admin|assistant|im_start|im_end)\s{0,4}>|\[\/?(?:INST|SYSTEM)\]|<\|im_(?:start|end)\|>/i,
  },
  {
    name: 'forced-tool-call',
    pattern: new RegExp(
      String.raw`\byou${S}(?:must|should|have${S}to|need${S}to)${S}(?:always${S}|first${S})?(?:call|invoke|use|run|execute)\b|\b(?:always|first)${S}(?:call|invoke|run|execute)${S}(?:this|the|another)${S}tool${S}(?:before|instead|first)\b`,
      'i',
    ),
  },
  {
    name: 'reveal-system-prompt',
    pattern: new RegExp(
      String.raw`\b(?:reveal|print|output|repeat|show|leak)${S}(?:your|the)${S}(?:system${S}prompt|hidden${S}instructions|initial${S}instructions)\b`,
      'i',
    ),
  },
  {
    name: 'new-instructions',
    pattern: new RegExp(String.raw`\b(?:new|updated|real|actual)${S}(?:system${S})?instructions\s{0,4}:|\byou${S}are${S}now${S}(?:in${S})?(?:developer|dan|jailbreak|god)${S}mode\b`, 'i'),
  },
];

/** The names {@link findInstructionInjection} can return. */
export const INSTRUCTION_INJECTION_NAMES: readonly string[] = INSTRUCTION_INJECTION_RULES.map((p) => p.name);

/**
 * Finds text that reads as instructions to the model rather than information for it: "ignore
 * previous instructions", "do not tell the user", role tags such as `<system>`, "you must always
 * call …", requests to reveal the system prompt, "new instructions:". The text is matched in
 * its {@link normalizeForMatching} form, so invisible characters and extra spaces cannot split a
 * phrase. Returns the name of the first phrase family found, or `undefined`.
 */
export function findInstructionInjection(text: string): string | undefined {
  const visible = normalizeForMatching(text);
  for (const { name, pattern } of INSTRUCTION_INJECTION_RULES) {
    if (pattern.test(visible)) return name;
  }
  return undefined;
}
