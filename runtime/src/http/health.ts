import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { InFlightSlots } from './slots.js';

/** Window over which the event loop's worst delay is judged. */
const LOOP_WINDOW_MS = 5_000;

/**
 * Watches the event loop's delay with `perf_hooks.monitorEventLoopDelay`. The worst delay of the
 * current and the previous window (5 s each) is reported, so one health check sees a stall that
 * ended shortly before it. The timers are unref'd and stopped by {@link close}.
 */
export class EventLoopWatch {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  readonly #timer: NodeJS.Timeout;
  #previousMaxMs = 0;

  constructor() {
    this.#histogram.enable();
    this.#timer = setInterval(() => {
      this.#previousMaxMs = this.#histogram.max / 1e6;
      this.#histogram.reset();
    }, LOOP_WINDOW_MS);
    this.#timer.unref();
  }

  /** Worst event loop delay seen in the last one or two windows, in milliseconds. */
  worstDelayMs(): number {
    const current = this.#histogram.count > 0 ? this.#histogram.max / 1e6 : 0;
    return Math.max(current, this.#previousMaxMs);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }
}

/** What `/healthz` decides from. */
export interface LivenessLimits {
  /** Longest event loop delay tolerated. */
  readonly maxLoopDelayMs: number;
  /** How long every slot may stay taken without a pause. */
  readonly saturatedMs: number;
  /** Age past which a request in flight cannot be legitimate (every wait it makes is bounded below this). */
  readonly stuckMs: number;
}

/** Why the instance cannot serve, or `undefined` when it can (for `/healthz` and `/readyz`). */
export function livenessProblem(slots: InFlightSlots, loop: EventLoopWatch, limits: LivenessLimits): 'saturated' | 'stuck' | 'event_loop' | undefined {
  if (slots.size >= slots.limit && slots.saturatedForMs() >= limits.saturatedMs) return 'saturated';
  if (slots.oldestMs() > limits.stuckMs) return 'stuck';
  if (loop.worstDelayMs() > limits.maxLoopDelayMs) return 'event_loop';
  return undefined;
}

/**
 * Runs the readiness checks at most once per `ttlMs`, whatever the number of callers: concurrent
 * callers share the probe under way, and its answer is kept for `ttlMs`. A probe that has not
 * settled within `timeoutMs` counts as a failure. So `/readyz` costs the store at most one read
 * per `ttlMs` per instance.
 */
export function cachedReadiness(checks: ReadonlyArray<() => Promise<void>>, ttlMs: number, timeoutMs: number, now: () => number = Date.now): () => Promise<boolean> {
  let answer: { ready: boolean; at: number } | undefined;
  let pending: Promise<boolean> | undefined;
  const probe = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([Promise.all(checks.map((check) => check())).then(() => true, () => false), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
  return () => {
    if (answer && now() - answer.at < ttlMs) return Promise.resolve(answer.ready);
    pending ??= probe().then((ready) => {
      answer = { ready, at: now() };
      pending = undefined;
      return ready;
    });
    return pending;
  };
}
