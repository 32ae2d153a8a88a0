/**
 * Output-filter benchmark: redaction rate on planted secrets and personal data, false-positive rate
 * on benign text, and time on adversarial input at 10 KB, 100 KB and 1 MB per pattern family.
 *
 *   npx tsx bench/filters.ts
 *
 * `runFilterBench()` returns the same figures for other scripts.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { LocalRulesModerationProvider, redactText, type RedactionCounts } from '../runtime/src/filters/index.js';
import { ADVERSARIAL_FAMILIES, benignSamples, plantedSamples } from './corpus/index.js';

/** Profile of the benchmark: everything on. */
const FULL_PROFILE = { redactPersonalData: true } as const;

/** Input sizes of the timing table, characters. */
export const TIMING_SIZES = [10_000, 100_000, 1_000_000] as const;

export interface PlantedFigures {
  readonly total: number;
  readonly redacted: number;
  /** Share of samples whose secrets all disappeared and whose kind was reported, 0..1. */
  readonly rate: number;
  /** Ids of samples that were not fully redacted. */
  readonly missed: readonly string[];
}

export interface BenignFigures {
  readonly total: number;
  readonly falsePositives: number;
  /** Share of samples that were changed at all, 0..1. */
  readonly rate: number;
  /** Ids of changed samples with the kinds found. */
  readonly changed: ReadonlyArray<{ readonly id: string; readonly kinds: readonly string[] }>;
}

export interface TimingRow {
  readonly family: string;
  /**
   * Fastest of several calls, milliseconds, one per entry of {@link TIMING_SIZES}. The fastest run
   * is the one least disturbed by other processes and garbage collection, so it tracks the work the
   * patterns do.
   */
  readonly ms: readonly number[];
  /** time(100 KB) / time(10 KB); about 10 when linear. */
  readonly ratio100kTo10k: number;
  /** time(1 MB) / time(100 KB); about 10 when linear, about 100 when quadratic. */
  readonly ratio1mTo100k: number;
}

export interface FilterBenchResult {
  readonly planted: PlantedFigures;
  readonly benign: BenignFigures;
  readonly timing: readonly TimingRow[];
}

/** Options of {@link runFilterBench}. */
export interface FilterBenchOptions {
  /** Skip the adversarial timing (the corpus figures take milliseconds, the timing seconds). @default false */
  readonly skipTiming?: boolean;
}

/** Redacts every planted sample; a sample counts when all its secrets are gone and its kind is reported. */
export function measurePlanted(): PlantedFigures {
  const samples = plantedSamples();
  const missed: string[] = [];
  for (const sample of samples) {
    const { text, redactions } = redactText(sample.text, FULL_PROFILE);
    const leaked = sample.secrets.some((secret) => text.includes(secret));
    if (leaked || !redactions[sample.kind]) missed.push(sample.id);
  }
  return { total: samples.length, redacted: samples.length - missed.length, rate: (samples.length - missed.length) / samples.length, missed };
}

/** Redacts every benign sample; a sample that changes at all is a false positive. */
export function measureBenign(): BenignFigures {
  const samples = benignSamples();
  const changed: Array<{ id: string; kinds: string[] }> = [];
  for (const sample of samples) {
    const { text, redactions } = redactText(sample.text, FULL_PROFILE);
    if (text !== sample.text) changed.push({ id: sample.id, kinds: kindsOf(redactions) });
  }
  return { total: samples.length, falsePositives: changed.length, rate: changed.length / samples.length, changed };
}

function kindsOf(counts: RedactionCounts): string[] {
  return Object.keys(counts);
}

/** Fastest time of `run`, repeating it until both `minRuns` runs and `minMs` milliseconds are done. */
async function timeIt(run: () => unknown, minRuns: number, minMs: number): Promise<number> {
  await run(); // warm-up: compile and optimise before measuring
  const times: number[] = [];
  const started = performance.now();
  while (times.length < minRuns || performance.now() - started < minMs) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
    if (times.length >= 1000) break;
  }
  return Math.min(...times);
}

/** Times the filters on every adversarial family at every size of {@link TIMING_SIZES}. */
export async function measureAdversarialTiming(): Promise<TimingRow[]> {
  const moderation = new LocalRulesModerationProvider();
  const signal = new AbortController().signal;
  const rows: TimingRow[] = [];
  for (const { family, build } of ADVERSARIAL_FAMILIES) {
    const run = family.startsWith('moderation')
      ? (text: string) => moderation.moderate(text, signal)
      : (text: string) => redactText(text, FULL_PROFILE);
    const ms: number[] = [];
    for (const size of TIMING_SIZES) {
      const input = build(size);
      ms.push(await timeIt(() => run(input), size >= 1_000_000 ? 9 : 21, size >= 1_000_000 ? 400 : 150));
    }
    const [t10k = 0, t100k = 0, t1m = 0] = ms;
    rows.push({ family, ms, ratio100kTo10k: t100k / t10k, ratio1mTo100k: t1m / t100k });
  }
  return rows;
}

/**
 * Runs the whole filter benchmark.
 * @returns the planted redaction rate (target 100 %), the benign false-positive rate (target
 *   under 2 %), and the adversarial timing table (target: ratios near 10, far from 100).
 */
export async function runFilterBench(options: FilterBenchOptions = {}): Promise<FilterBenchResult> {
  const planted = measurePlanted();
  const benign = measureBenign();
  const timing = options.skipTiming ? [] : await measureAdversarialTiming();
  return { planted, benign, timing };
}

const percent = (share: number): string => `${(share * 100).toFixed(2)} %`;

/** Prints the figures as a report; returns whether every target was met. */
export function printFilterBench(result: FilterBenchResult): boolean {
  const { planted, benign, timing } = result;
  const plantedOk = planted.rate === 1;
  const benignOk = benign.rate < 0.02;
  console.log('Output filters');
  console.log(`  planted secrets and personal data redacted: ${planted.redacted}/${planted.total} = ${percent(planted.rate)}  (target 100 %) ${plantedOk ? 'ok' : 'FAIL'}`);
  if (planted.missed.length > 0) console.log(`    missed: ${planted.missed.join(', ')}`);
  console.log(`  benign samples changed (false positives):   ${benign.falsePositives}/${benign.total} = ${percent(benign.rate)}  (target < 2 %) ${benignOk ? 'ok' : 'FAIL'}`);
  for (const c of benign.changed) console.log(`    ${c.id}: ${c.kinds.join(', ')}`);
  let linear = true;
  if (timing.length > 0) {
    console.log('\n  adversarial input, fastest ms per call (ratio ~10 = linear, ~100 = quadratic)');
    const head = ['family'.padEnd(40), ...TIMING_SIZES.map((s) => `${s / 1000} KB`.padStart(10)), '100K/10K'.padStart(10), '1M/100K'.padStart(10)];
    console.log(`  ${head.join(' ')}`);
    for (const row of timing) {
      // Above 25 the growth is clearly super-linear; small inputs are too fast to time precisely.
      const ok = row.ratio1mTo100k < 25;
      linear &&= ok;
      const cells = [
        row.family.padEnd(40),
        ...row.ms.map((ms) => ms.toFixed(3).padStart(10)),
        row.ratio100kTo10k.toFixed(1).padStart(10),
        row.ratio1mTo100k.toFixed(1).padStart(10),
      ];
      console.log(`  ${cells.join(' ')}${ok ? '' : '  SUPER-LINEAR'}`);
    }
  }
  return plantedOk && benignOk && linear;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runFilterBench();
  if (!printFilterBench(result)) process.exitCode = 1;
}
