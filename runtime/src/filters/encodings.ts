/**
 * What a text says once its common encodings are decoded: runs of base64 (standard and URL-safe
 * alphabets) that decode to text, and runs with percent-escapes (`%41`, `%E2%80%8B`).
 *
 * {@link decodedView} gathers every such run of a text into one view, runs separated by blank
 * lines, mapped back to the text. A base64 run maps as a whole (a value found in what it decodes
 * to redacts the whole run); a percent-encoded run maps escape by escape. Each run is decoded
 * once, and what it decodes to is never longer than the run, so the view is at most as long as
 * the text and building it is linear.
 */
import { MAX_FILTER_TEXT_LENGTH } from './limits.js';
import { TextViewBuilder, type TextView } from './text-view.js';

/**
 * A run of at least 16 base64 characters (either alphabet) with optional padding, starting where
 * the run starts. Sixteen characters are twelve bytes, shorter than any secret the detectors know
 * once its key or prefix is counted.
 */
const BASE64_RUN = new RegExp(String.raw`(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,${MAX_FILTER_TEXT_LENGTH}}={0,2}`, 'g');
/** A percent-escape; the run around it extends to white space, quotes and angle brackets. */
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/g;
const ESCAPE_AT_START = /^%[0-9A-Fa-f]{2}/;
const RUN_DELIMITER = /[\s"'<>`]/;

const SEPARATOR = '\n\n';

interface DecodedRun {
  readonly start: number;
  readonly end: number;
  /** The decoded text, with where each unit came from (absolute positions in the encoded text). */
  readonly view: TextView;
}

/** True when a byte is a control character other than tab and line breaks. */
function isControlByte(byte: number): boolean {
  return (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f;
}

function decodeBase64Run(text: string, start: number, end: number): DecodedRun | undefined {
  const bytes = Buffer.from(text.slice(start, end), 'base64');
  // Most runs that are not base64 of text (hashes, identifiers, binary) fail within a few bytes.
  for (const byte of bytes) if (isControlByte(byte)) return undefined;
  const decoded = bytes.toString('utf8');
  if (decoded.length === 0 || decoded.includes('\ufffd')) return undefined;
  const view = new TextViewBuilder();
  view.push(decoded, start, end);
  return { start, end, view: view.build() };
}

function decodePercentRun(text: string, start: number, end: number): DecodedRun {
  const out = new TextViewBuilder();
  let i = start;
  let copyFrom = start;
  while (i < end) {
    if (text[i] !== '%' || !ESCAPE_AT_START.test(text.slice(i, i + 3))) {
      i++;
      continue;
    }
    if (i > copyFrom) out.pushCopy(text.slice(copyFrom, i), copyFrom);
    // A sequence of escapes decodes together, so multi-byte UTF-8 characters come out whole.
    const bytes: number[] = [];
    const escapesFrom = i;
    while (i + 3 <= end && text[i] === '%' && ESCAPE_AT_START.test(text.slice(i, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
    }
    if (bytes.every((b) => b < 0x80)) {
      for (let k = 0; k < bytes.length; k++) out.push(String.fromCharCode(bytes[k] ?? 0), escapesFrom + 3 * k, escapesFrom + 3 * k + 3);
    } else {
      out.push(Buffer.from(bytes).toString('utf8'), escapesFrom, i);
    }
    copyFrom = i;
  }
  if (end > copyFrom) out.pushCopy(text.slice(copyFrom, end), copyFrom);
  return { start, end, view: out.build() };
}

function base64Runs(text: string, runs: DecodedRun[]): void {
  BASE64_RUN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = BASE64_RUN.exec(text)) !== null) {
    const run = decodeBase64Run(text, m.index, m.index + m[0].length);
    if (run) runs.push(run);
  }
  BASE64_RUN.lastIndex = 0;
}

function percentRuns(text: string, runs: DecodedRun[]): void {
  PERCENT_ESCAPE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PERCENT_ESCAPE.exec(text)) !== null) {
    let start = m.index;
    while (start > 0 && !RUN_DELIMITER.test(text[start - 1] ?? ' ')) start--;
    let end = m.index + 3;
    while (end < text.length && !RUN_DELIMITER.test(text[end] ?? ' ')) end++;
    runs.push(decodePercentRun(text, start, end));
    PERCENT_ESCAPE.lastIndex = end;
  }
  PERCENT_ESCAPE.lastIndex = 0;
}

/**
 * The decoded forms of every base64 and percent-encoded run of `text`, joined by blank lines, as a
 * view of `text`; `undefined` when there is none.
 */
export function decodedView(text: string): TextView | undefined {
  const runs: DecodedRun[] = [];
  if (text.includes('%')) percentRuns(text, runs);
  base64Runs(text, runs);
  if (runs.length === 0) return undefined;
  const out = new TextViewBuilder();
  for (const [n, run] of runs.entries()) {
    // The blank line between runs stands for the last unit of the run before it.
    if (n > 0) out.push(SEPARATOR, (runs[n - 1]?.end ?? 1) - 1, runs[n - 1]?.end ?? 1);
    out.pushView(run.view);
  }
  return out.build();
}

/** Patterns of this module, for the pattern-safety test. */
export const ENCODING_PATTERNS: readonly RegExp[] = [BASE64_RUN, PERCENT_ESCAPE];
