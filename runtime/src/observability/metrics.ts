/**
 * CloudWatch metrics in embedded metric format (EMF), for a long-running server.
 *
 * Powertools Metrics serialises the EMF records (`serializeMetrics`) and its dimension and unit
 * checks are used as they are. What Lambda gets for free has to be added around it:
 * - Lambda publishes once per invocation; here counts are summed in memory and published on a
 *   timer (and on `flush()` / shutdown), so the request path only adds to a number in a map.
 * - One Powertools `Metrics` instance holds one set of dimensions at a time, so each group of
 *   metrics that share dimension values is published as its own record.
 * - Memory is bounded whatever the traffic: groups are keyed by fixed vocabularies and bounded
 *   label sets, and latency samples are kept in a fixed-size reservoir per group per interval
 *   (a uniform sample, so percentiles stay unbiased; `Requests` still counts every request).
 * - Records go to the configured stream, not to a private console on `process.stdout`.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  AUTH_FAILURE_REASON_SET,
  type AuthFailureReason,
  ERROR_KIND_SET,
  type ErrorKind,
  kindLabels,
  oneOf,
  RATE_LIMIT_SCOPE_SET,
  type RateLimitScope,
  REQUEST_OUTCOME_SET,
  type RequestOutcome,
  type SessionEvent,
  TOOL_OUTCOME_SET,
  toolLabels,
  type ToolOutcome,
} from './labels.js';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
type Dimensions = Readonly<Record<string, string>>;

/** Latency samples kept per group between two flushes. */
export const MAX_SAMPLES_PER_INTERVAL = 500;

// Powertools publishes on its own when one metric reaches 100 values, which would drop the
// dimension sets of the rest of the group; records are cut before that.
const VALUES_PER_RECORD = 99;

/** A fixed-size uniform sample of the values seen since the last reset (Vitter's algorithm R). */
class Reservoir {
  readonly values: number[] = [];
  #seen = 0;

  constructor(private readonly random: () => number) {}

  add(value: number): void {
    this.#seen += 1;
    if (this.values.length < MAX_SAMPLES_PER_INTERVAL) {
      this.values.push(value);
      return;
    }
    const slot = Math.floor(this.random() * this.#seen);
    if (slot < MAX_SAMPLES_PER_INTERVAL) this.values[slot] = value;
  }

  reset(): void {
    this.values.length = 0;
    this.#seen = 0;
  }
}

/** Metrics published together under the same dimension values. */
class MetricGroup {
  readonly #counts = new Map<string, { unit: Unit; value: number }>();
  readonly #samples: { name: string; unit: Unit; reservoir: Reservoir } | undefined;

  constructor(
    readonly dimensionSets: readonly Dimensions[],
    samples: { name: string; unit: Unit } | undefined,
    random: () => number,
  ) {
    this.#samples = samples && { ...samples, reservoir: new Reservoir(random) };
  }

  count(name: string, unit: Unit, n: number): void {
    const entry = this.#counts.get(name);
    if (entry) entry.value += n;
    else this.#counts.set(name, { unit, value: n });
  }

  sample(value: number): void {
    this.#samples?.reservoir.add(value);
  }

  /** Adds this group's records to `metrics` and publishes them; then starts counting afresh. */
  publish(metrics: Metrics): void {
    const values = this.#samples?.reservoir.values ?? [];
    const counts = [...this.#counts].filter(([, entry]) => entry.value > 0);
    if (counts.length === 0 && values.length === 0) return;
    let offset = 0;
    do {
      for (const set of this.dimensionSets) metrics.addDimensions(set);
      if (offset === 0) for (const [name, entry] of counts) metrics.addMetric(name, entry.unit, entry.value);
      if (this.#samples) {
        for (const value of values.slice(offset, offset + VALUES_PER_RECORD)) metrics.addMetric(this.#samples.name, this.#samples.unit, value);
      }
      offset += VALUES_PER_RECORD;
      metrics.publishStoredMetrics();
    } while (offset < values.length);
    for (const entry of this.#counts.values()) entry.value = 0;
    this.#samples?.reservoir.reset();
  }
}

/** Groups of one metric family, created on first use; keys come from bounded vocabularies only. */
class GroupFamily {
  readonly #groups = new Map<string, MetricGroup>();

  constructor(private readonly create: (key: string) => MetricGroup) {}

  get(key: string): MetricGroup {
    let group = this.#groups.get(key);
    if (!group) {
      group = this.create(key);
      this.#groups.set(key, group);
    }
    return group;
  }

  values(): IterableIterator<MetricGroup> {
    return this.#groups.values();
  }
}

/** Powertools Metrics writing its records to a stream of our choosing. */
class StreamMetrics extends Metrics {
  readonly #write: (line: string) => void;

  constructor(write: (line: string) => void, options: ConstructorParameters<typeof Metrics>[0]) {
    super(options);
    this.#write = write;
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics() && !this.isDisabled()) this.#write(JSON.stringify(this.serializeMetrics()));
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }
}

/** Settings of the metrics recorder. */
export interface MetricsRecorderOptions {
  readonly namespace: string;
  readonly serviceName: string;
  readonly region: string;
  /** Writes one EMF record (one line, without the newline). */
  readonly write: (line: string) => void;
  /** Receives Powertools' own warnings. */
  readonly logger: { debug(...args: unknown[]): void; info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
  readonly random?: () => number;
}

const ALL: Dimensions = {};

/**
 * Counts and samples the service's metrics and publishes them as EMF records. Every metric carries
 * the default dimensions `service` and `region`, and is published under these dimension sets:
 *
 * | metric | unit | dimension sets (besides service, region) |
 * | --- | --- | --- |
 * | Requests | Count | (none); outcome |
 * | Latency | Milliseconds | (none); outcome |
 * | Errors | Count | (none); kind |
 * | ToolCalls | Count | tool; tool, outcome (two records) |
 * | ToolLatency | Milliseconds | tool |
 * | AuthFailures | Count | (none); reason |
 * | Redactions | Count | (none); kind |
 * | RateLimited | Count | (none); scope |
 * | SessionsOpened, SessionsEnded | Count | (none) |
 * | CredentialInputsRefused | Count | (none); tool |
 */
export class MetricsRecorder {
  readonly #metrics: StreamMetrics;
  readonly #toolNames = toolLabels();
  readonly #redactionKinds = kindLabels();
  readonly #requests: GroupFamily;
  readonly #errors: GroupFamily;
  readonly #toolCalls: GroupFamily;
  readonly #tools: GroupFamily;
  readonly #authFailures: GroupFamily;
  readonly #redactions: GroupFamily;
  readonly #rateLimited: GroupFamily;
  readonly #sessions: MetricGroup;
  readonly #credentialInputs: GroupFamily;
  readonly #families: readonly GroupFamily[];

  constructor(options: MetricsRecorderOptions) {
    this.#metrics = new StreamMetrics(options.write, {
      namespace: options.namespace,
      serviceName: options.serviceName,
      defaultDimensions: { region: options.region },
      logger: options.logger,
    });
    const random = options.random ?? Math.random;
    const counted = (sets: readonly Dimensions[]): MetricGroup => new MetricGroup(sets, undefined, random);
    const timed = (sets: readonly Dimensions[], name: string): MetricGroup => new MetricGroup(sets, { name, unit: MetricUnit.Milliseconds }, random);

    this.#requests = new GroupFamily((outcome) => timed([ALL, { outcome }], 'Latency'));
    this.#errors = new GroupFamily((kind) => counted([ALL, { kind }]));
    // ToolCalls by tool alone is counted in the per-tool latency record rather than as a second
    // dimension set of the per-outcome record: two sets sharing `tool` in one record is a key
    // collision to Powertools. CloudWatch adds up the datapoints of both records.
    this.#toolCalls = new GroupFamily((key) => {
      const [tool = '', outcome = ''] = key.split('\n');
      return counted([{ tool, outcome }]);
    });
    this.#tools = new GroupFamily((tool) => timed([{ tool }], 'ToolLatency'));
    this.#authFailures = new GroupFamily((reason) => counted([ALL, { reason }]));
    this.#redactions = new GroupFamily((kind) => counted([ALL, { kind }]));
    this.#rateLimited = new GroupFamily((scope) => counted([ALL, { scope }]));
    this.#sessions = counted([ALL]);
    this.#credentialInputs = new GroupFamily((tool) => counted([ALL, { tool }]));
    this.#families = [
      this.#requests,
      this.#errors,
      this.#toolCalls,
      this.#tools,
      this.#authFailures,
      this.#redactions,
      this.#rateLimited,
      this.#credentialInputs,
    ];
  }

  request(outcome: RequestOutcome, latencyMs: number): void {
    const group = this.#requests.get(oneOf(REQUEST_OUTCOME_SET, outcome));
    group.count('Requests', MetricUnit.Count, 1);
    if (isDuration(latencyMs)) group.sample(latencyMs);
  }

  error(kind: ErrorKind): void {
    this.#errors.get(oneOf(ERROR_KIND_SET, kind)).count('Errors', MetricUnit.Count, 1);
  }

  toolCall(tool: string, outcome: ToolOutcome, latencyMs: number): void {
    const label = this.#toolNames.admit(tool);
    this.#toolCalls.get(`${label}\n${oneOf(TOOL_OUTCOME_SET, outcome)}`).count('ToolCalls', MetricUnit.Count, 1);
    const perTool = this.#tools.get(label);
    perTool.count('ToolCalls', MetricUnit.Count, 1);
    if (isDuration(latencyMs)) perTool.sample(latencyMs);
  }

  authFailure(reason: AuthFailureReason): void {
    this.#authFailures.get(oneOf(AUTH_FAILURE_REASON_SET, reason)).count('AuthFailures', MetricUnit.Count, 1);
  }

  redactions(kind: string, n: number): void {
    if (!Number.isInteger(n) || n <= 0) return;
    this.#redactions.get(this.#redactionKinds.admit(kind)).count('Redactions', MetricUnit.Count, n);
  }

  rateLimited(scope: RateLimitScope): void {
    this.#rateLimited.get(oneOf(RATE_LIMIT_SCOPE_SET, scope)).count('RateLimited', MetricUnit.Count, 1);
  }

  session(event: SessionEvent): void {
    if (event === 'opened') this.#sessions.count('SessionsOpened', MetricUnit.Count, 1);
    else if (event === 'ended') this.#sessions.count('SessionsEnded', MetricUnit.Count, 1);
  }

  credentialInput(tool: string): void {
    this.#credentialInputs.get(this.#toolNames.admit(tool)).count('CredentialInputsRefused', MetricUnit.Count, 1);
  }

  /** Publishes everything counted since the last flush, one EMF record per group. */
  flush(): void {
    for (const family of this.#families) {
      for (const group of family.values()) this.#publish(group);
    }
    this.#publish(this.#sessions);
  }

  #publish(group: MetricGroup): void {
    try {
      group.publish(this.#metrics);
    } catch {
      // One bad group must not stop the others, nor leave its dimensions behind for the next.
      this.#metrics.clearMetrics();
      this.#metrics.clearDimensions();
    }
  }
}

function isDuration(value: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
