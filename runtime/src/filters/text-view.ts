/**
 * Views of a text that the detectors read instead of the text itself, each with a map from every
 * character of the view back to the characters of its source, so that a value found in a view is
 * redacted over its whole original span (the zero-width space or soft hyphen inside it included).
 *
 * Every view is built in one pass over its source, and no view is longer than twice the filter
 * limit, so building one costs time linear in the length of the source.
 */
import { FilterLimitError, MAX_FILTER_TEXT_LENGTH } from './limits.js';

/** A text derived from a source text, with where each of its UTF-16 units came from. */
export interface TextView {
  readonly text: string;
  /**
   * For unit `i` of `text`, the source units `[from[i], to[i])` it stands for. Absent when the view
   * is its source unchanged.
   */
  readonly from?: Int32Array;
  readonly to?: Int32Array;
}

/** Longest view accepted: compatibility normalisation can expand a character up to eighteen-fold. */
const MAX_VIEW_LENGTH = 2 * MAX_FILTER_TEXT_LENGTH;

/** The source span `[start, end)` of units `[a, b)` of a view (`b > a`). */
export function sourceSpan(view: TextView, a: number, b: number): [number, number] {
  if (!view.from || !view.to) return [a, b];
  return [view.from[a] ?? 0, view.to[b - 1] ?? 0];
}

/** Builds a view piece by piece; every piece says which source units it stands for. */
export class TextViewBuilder {
  private readonly parts: string[] = [];
  private readonly from: number[] = [];
  private readonly to: number[] = [];

  /** Appends `chars`, every unit of which stands for source units `[start, end)`. */
  push(chars: string, start: number, end: number): void {
    this.parts.push(chars);
    for (let k = 0; k < chars.length; k++) {
      this.from.push(start);
      this.to.push(end);
    }
    this.checkLength();
  }

  /** Appends `chars`, a copy of the source units starting at `start` (one unit for one unit). */
  pushCopy(chars: string, start: number): void {
    this.parts.push(chars);
    for (let k = 0; k < chars.length; k++) {
      this.from.push(start + k);
      this.to.push(start + k + 1);
    }
    this.checkLength();
  }

  /** Appends units `[a, b)` of `view` with what they stand for in `view`'s source. */
  pushSlice(view: TextView, a: number, b: number): void {
    if (b <= a) return;
    const { from, to } = view;
    if (!from || !to) {
      this.pushCopy(view.text.slice(a, b), a);
      return;
    }
    this.parts.push(view.text.slice(a, b));
    for (let k = a; k < b; k++) {
      this.from.push(from[k] ?? 0);
      this.to.push(to[k] ?? 0);
    }
    this.checkLength();
  }

  /** Appends a view whose map already points at source units. */
  pushView(view: TextView): void {
    if (!view.from || !view.to) throw new Error('pushView needs a mapped view');
    this.parts.push(view.text);
    for (let k = 0; k < view.text.length; k++) {
      this.from.push(view.from[k] ?? 0);
      this.to.push(view.to[k] ?? 0);
    }
    this.checkLength();
  }

  get length(): number {
    return this.from.length;
  }

  build(): TextView {
    return { text: this.parts.join(''), from: Int32Array.from(this.from), to: Int32Array.from(this.to) };
  }

  private checkLength(): void {
    if (this.from.length > MAX_VIEW_LENGTH) throw new FilterLimitError('text-too-long');
  }
}

/**
 * The view of `inner` (a view of `outer.text`) as a view of `outer`'s source: each unit maps
 * through both.
 */
export function composeViews(outer: TextView, inner: TextView): TextView {
  if (!inner.from || !inner.to) return outer;
  if (!outer.from || !outer.to) return inner;
  const from = new Int32Array(inner.text.length);
  const to = new Int32Array(inner.text.length);
  for (let i = 0; i < inner.text.length; i++) {
    from[i] = outer.from[inner.from[i] ?? 0] ?? 0;
    to[i] = outer.to[(inner.to[i] ?? 1) - 1] ?? 0;
  }
  return { text: inner.text, from, to };
}
