/**
 * Hard limits of the output filters.
 *
 * The filters refuse input above these limits instead of passing it on unfiltered: a string longer
 * than {@link MAX_FILTER_TEXT_LENGTH} or a value nested deeper than {@link MAX_FILTER_DEPTH} makes
 * the filter throw a {@link FilterLimitError}, and the caller answers the request with an error.
 */

/** Longest string (UTF-16 code units, 1 MiB) a filter inspects. Longer strings are refused. */
export const MAX_FILTER_TEXT_LENGTH = 1_048_576;

/** Deepest nesting of objects and arrays a filter walks. Deeper values are refused. */
export const MAX_FILTER_DEPTH = 64;

/** Why a filter refused its input. */
export type FilterLimitReason = 'text-too-long' | 'too-deep';

/**
 * Thrown when a value is too large or too deeply nested to be filtered. The message never contains
 * any part of the value; `reason` says which limit was hit.
 */
export class FilterLimitError extends Error {
  override readonly name = 'FilterLimitError';
  readonly reason: FilterLimitReason;

  constructor(reason: FilterLimitReason) {
    super(
      reason === 'text-too-long'
        ? `text longer than ${MAX_FILTER_TEXT_LENGTH} characters cannot be filtered`
        : `value nested deeper than ${MAX_FILTER_DEPTH} levels cannot be filtered`,
    );
    this.reason = reason;
  }
}

/** Throws a {@link FilterLimitError} when `text` is longer than the filter limit. */
export function assertFilterableLength(text: string): void {
  if (text.length > MAX_FILTER_TEXT_LENGTH) throw new FilterLimitError('text-too-long');
}
