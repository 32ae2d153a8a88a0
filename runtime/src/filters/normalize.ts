/**
 * The normalised view of a text that the detectors read: what a reader (or a model) would take the
 * text to say, spelled in the plain ASCII the patterns are written for.
 *
 * - compatibility forms are folded (NFKC): full-width `ＡＫＩＡ`, `＠`, `１２３`, ligatures,
 *   mathematical letters;
 * - characters that render as nothing are removed: zero-width spaces and joiners, the soft hyphen,
 *   bidi controls, Unicode tags, variation selectors, control characters, combining marks;
 * - every space separator (no-break space, thin space, ideographic space …) becomes a space, every
 *   dash (hyphen, en dash, em dash, minus sign …) a hyphen-minus, every decimal digit of any script
 *   (Arabic-Indic, Devanagari …) the ASCII digit of the same value;
 * - Cyrillic and Greek letters that look like Latin ones become those Latin letters;
 * - the spelled-out `[at]`, `(at)`, `{at}`, `[dot]`, `(dot)` become `@` and `.`.
 *
 * The view maps back to the source (see `text-view.ts`), one pass, linear time. Text that is
 * printable ASCII with nothing spelled out is its own view, at the cost of one pattern test.
 */
import { INVISIBLE_CHARACTER } from './injection.js';
import { TextViewBuilder, composeViews, type TextView } from './text-view.js';

/** Anything outside printable ASCII, tab and line breaks. */
const NEEDS_UNICODE_FOLDING = /[^\t\n\r\x20-\x7e]/;
const PLAIN_UNIT = /[\t\n\r\x20-\x7e]/;

/** `[at]`, `(dot)`, … with up to two blanks on either side, which they absorb. */
const SPELLED_OUT = /[ \t]{0,2}[[({][ \t]{0,2}(at|dot)[ \t]{0,2}[\])}][ \t]{0,2}/gi;

const LINE_SEPARATOR = /^[\u0085\u2028\u2029]$/;
const COMBINING_MARK = /^[\p{Mn}\p{Me}]$/u;
const SPACE_SEPARATOR = /^\p{Zs}$/u;
const DASH = /^[\p{Pd}\u2212\u2043\uFE63\uFF0D]$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * Cyrillic and Greek letters a reader takes for Latin ones (pairs: look-alike, Latin letter). Only
 * letters whose usual glyph is the same shape; lower-case letters that look like small capitals
 * (Cyrillic `к`, `м`, `т`) are left alone.
 */
const CONFUSABLE_PAIRS =
  'АAВBЕEЅSІIЈJКKМMНHОOРPСCТTХXУYҮYԚQԜWаaеeоoрpсcуyхxѕsіiјjһhԁdԛqԝwӏlѵv' +
  'ΑAΒBΕEΖZΗHΙIΚKΜMΝNΟOΡPΤTΥYΧXοoιiνvρpυuχxϲcϳj';
const CONFUSABLES = new Map<string, string>();
for (let i = 0; i + 1 < CONFUSABLE_PAIRS.length; i += 2) CONFUSABLES.set(CONFUSABLE_PAIRS[i] ?? '', CONFUSABLE_PAIRS[i + 1] ?? '');

/** The value of a decimal digit: every script's digits are a run of ten code points from zero up. */
function digitValue(cp: number): string {
  let zero = cp;
  while (zero > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(zero - 1))) zero--;
  return String((cp - zero) % 10);
}

/** One character of an NFKC form, folded as a detector reads it. */
function foldCharacter(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (LINE_SEPARATOR.test(ch)) return '\n';
  if (cp < 0x80) return PLAIN_UNIT.test(ch) ? ch : '';
  if (INVISIBLE_CHARACTER.test(ch) || COMBINING_MARK.test(ch)) return '';
  if (SPACE_SEPARATOR.test(ch)) return ' ';
  if (DASH.test(ch)) return '-';
  if (DECIMAL_DIGIT.test(ch)) return digitValue(cp);
  return CONFUSABLES.get(ch) ?? ch;
}

/** Folded forms of the non-ASCII code points seen so far (bounded). */
const FOLDED = new Map<number, string>();
const MAX_CACHED = 8_192;

function foldCodePoint(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const cached = FOLDED.get(cp);
  if (cached !== undefined) return cached;
  // Line separators, invisible characters and spaces first: NFKC would turn some of them into others.
  const direct = foldCharacter(ch);
  let folded: string;
  if (direct !== ch) {
    folded = direct;
  } else {
    folded = '';
    for (const part of ch.normalize('NFKC')) folded += foldCharacter(part);
  }
  if (FOLDED.size < MAX_CACHED) FOLDED.set(cp, folded);
  return folded;
}

function foldUnicode(text: string): TextView {
  const out = new TextViewBuilder();
  let copyFrom = 0;
  for (let i = 0; i < text.length; ) {
    const unit = text.charCodeAt(i);
    if ((unit >= 0x20 && unit <= 0x7e) || unit === 0x09 || unit === 0x0a || unit === 0x0d) {
      i++;
      continue;
    }
    if (i > copyFrom) out.pushCopy(text.slice(copyFrom, i), copyFrom);
    const width = unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length ? 2 : 1;
    const folded = foldCodePoint(text.slice(i, i + width));
    if (folded.length > 0) out.push(folded, i, i + width);
    i += width;
    copyFrom = i;
  }
  if (text.length > copyFrom) out.pushCopy(text.slice(copyFrom), copyFrom);
  return out.build();
}

function foldSpelledOut(text: string): TextView {
  const out = new TextViewBuilder();
  let last = 0;
  SPELLED_OUT.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = SPELLED_OUT.exec(text)) !== null) {
    if (m.index > last) out.pushCopy(text.slice(last, m.index), last);
    out.push(m[1]?.toLowerCase() === 'at' ? '@' : '.', m.index, m.index + m[0].length);
    last = m.index + m[0].length;
  }
  SPELLED_OUT.lastIndex = 0;
  if (last === 0) return { text };
  if (text.length > last) out.pushCopy(text.slice(last), last);
  return out.build();
}

/**
 * The normalised view of `text` the detectors read (see the module comment), mapped back to `text`.
 *
 * @throws FilterLimitError when the view would be longer than twice `MAX_FILTER_TEXT_LENGTH`.
 */
export function normalizedView(text: string): TextView {
  const folded = NEEDS_UNICODE_FOLDING.test(text) ? foldUnicode(text) : { text };
  return composeViews(folded, foldSpelledOut(folded.text));
}

/** Patterns of this module, for the pattern-safety test. */
export const NORMALIZATION_PATTERNS: readonly RegExp[] = [SPELLED_OUT];
