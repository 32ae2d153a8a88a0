/**
 * Where the detectors find values in a text: in its normalised view (see `normalize.ts`) and in
 * what its base64 and percent-encoded runs decode to (see `encodings.ts`), mapped back to spans of
 * the text itself. Redaction and the credential-value check both read their findings from here, so
 * what one recognises the other does.
 *
 * Cost: the normalised view and the decoded view are each built in one pass and are at most twice
 * and once as long as their source; the detectors run on each (linear, see `detectors.ts`); decoded
 * text is looked into again for a nested encoding, down to {@link MAX_DECODING_DEPTH} levels. So the
 * whole is linear in the length of the text, with a constant of at most three times the detectors'.
 */
import { scan, type Detector, type RedactionKind } from './detectors.js';
import { decodedView } from './encodings.js';
import { normalizedView } from './normalize.js';
import { TextViewBuilder, sourceSpan, type TextView } from './text-view.js';

/** How many encodings deep a value is looked for (base64 inside percent-encoding, for example). */
export const MAX_DECODING_DEPTH = 2;

/** One value found: its span `[start, end)` in the text and its kind. */
export interface Finding {
  readonly start: number;
  readonly end: number;
  readonly kind: RedactionKind;
}

/** Options of {@link findValues}. */
export interface FindOptions {
  /** Stop at the first detector that finds anything (for a yes/no answer). @default false */
  readonly firstOnly?: boolean;
}

/**
 * Every value `detectors` accept in `text`, one finding per value, in detector order. Detectors run
 * one after another on the normalised view, each seeing the values earlier ones took as their
 * markers (`[REDACTED:kind]`); then the decoded forms of the encoded runs left are searched the
 * same way.
 */
export function findValues(text: string, detectors: readonly Detector[], options: FindOptions = {}): Finding[] {
  const findings: Finding[] = [];
  findIn(text, detectors, options.firstOnly ?? false, 0, findings);
  return findings;
}

function findIn(text: string, detectors: readonly Detector[], firstOnly: boolean, depth: number, out: Finding[]): void {
  const view = normalizedView(text);
  // Findings in units of `view.text`. `remaining` is `view.text` with every value taken so far
  // replaced by a placeholder (see `withPlaceholders`), mapped back to `view.text`, so later
  // detectors never split a taken value and read it as the redacted text will read.
  const local: Finding[] = [];
  let remaining: TextView = { text: view.text };
  for (const detector of detectors) {
    const taken: Finding[] = [];
    scan(remaining.text, detector, ({ start, length }, value) => {
      let from = start;
      let to = start + length;
      const quote = value[0];
      if (detector.keepQuotes && (quote === '"' || quote === "'") && length === value.length) {
        from += 1;
        if (length > 1 && value[length - 1] === quote) to -= 1;
      }
      if (to > from) taken.push({ start: from, end: to, kind: detector.kind });
      return !firstOnly;
    });
    if (taken.length === 0) continue;
    for (const finding of taken) local.push(mapFinding(remaining, finding));
    if (firstOnly) break;
    remaining = withPlaceholders(remaining, taken);
  }
  if (depth < MAX_DECODING_DEPTH && !(firstOnly && local.length > 0)) {
    const decoded = decodedView(remaining.text);
    if (decoded) {
      const inner: Finding[] = [];
      findIn(decoded.text, detectors, firstOnly, depth + 1, inner);
      for (const finding of inner) local.push(mapFinding(remaining, mapFinding(decoded, finding)));
    }
  }
  for (const finding of local) out.push(mapFinding(view, finding));
}

function mapFinding(view: TextView, finding: Finding): Finding {
  const [start, end] = sourceSpan(view, finding.start, finding.end);
  return { start, end, kind: finding.kind };
}

/**
 * What stands in for a taken value of `length` units: `[REDACTED]` (which every detector's
 * placeholder check refuses as a value) or, for a shorter value, as many `*` (a masked value, also
 * refused). Never longer than the value, so the text never grows.
 */
function placeholder(length: number): string {
  return length >= REDACTED.length ? REDACTED : '*'.repeat(length);
}
const REDACTED = '[REDACTED]';

/** `view` with the findings (sorted, disjoint, in units of `view.text`) replaced by placeholders. */
function withPlaceholders(view: TextView, findings: readonly Finding[]): TextView {
  const out = new TextViewBuilder();
  let last = 0;
  for (const { start, end } of findings) {
    out.pushSlice(view, last, start);
    const [from, to] = sourceSpan(view, start, end);
    out.push(placeholder(end - start), from, to);
    last = end;
  }
  out.pushSlice(view, last, view.text.length);
  return out.build();
}

/**
 * The findings as disjoint spans, left to right: overlapping findings merge into one span that
 * keeps the kind of the one that starts first.
 */
export function mergeFindings(findings: readonly Finding[]): Finding[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Finding[] = [];
  for (const finding of sorted) {
    const last = merged[merged.length - 1];
    if (last && finding.start < last.end) {
      if (finding.end > last.end) merged[merged.length - 1] = { ...last, end: finding.end };
    } else {
      merged.push(finding);
    }
  }
  return merged;
}
