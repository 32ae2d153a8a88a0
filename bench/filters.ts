/**
 * Output-filter benchmark: redaction rate on planted secrets and personal data, redaction rate on
 * the encoded corpus (the same kinds disguised: invisible characters, look-alike letters, other
 * digits and separators, base64, percent-encoding), false-positive rate on benign text, time on
 * adversarial input at 10 KB, 100 KB and 1 MB per pattern family, and the cost of the filter
 * against the filter before normalisation and decoding (read from git at
 * {@link BASELINE_COMMIT}), both measured in the same run.
 *
 *   npx tsx bench/filters.ts
 *
 * `runFilterBench()` returns the same figures for other scripts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { LocalRulesModerationProvider, redactText, type RedactedText, type RedactionCounts } from '../runtime/src/filters/index.js';
import { ADVERSARIAL_FAMILIES, benignSamples, encodedSamples, leaksSecret, plantedSamples, type PlantedSample } from './corpus/index.js';

/**
 * The commit whose filter is the baseline of the cost ratio: the last one before the filters
 * normalised text and looked inside encodings.
 */
export const BASELINE_COMMIT = '5ece265cad9eed278545b298c9e30e484cb1429b';
const BASELINE_FILES = ['detectors.ts', 'checksums.ts', 'limits.ts', 'redact.ts'];

type Redact = (text: string, profile: { redactPersonalData: boolean }) => RedactedText;

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

/** Cost of the filter against the baseline filter, same inputs, same run. */
export interface CostFigures {
  /** Fastest ms to redact every corpus sample (planted, encoded, benign) once: [baseline, current]. */
  readonly corpusMs: readonly [number, number];
  /** Fastest ms summed over the adversarial families at 1 MB: [baseline, current]. */
  readonly adversarialMs: readonly [number, number];
  /** current / baseline on the corpus. */
  readonly corpusRatio: number;
  /** current / baseline on the adversarial families. */
  readonly adversarialRatio: number;
  /** The baseline's figures on the encoded corpus, to show what normalisation and decoding add. */
  readonly baselineEncoded: PlantedFigures;
}

export interface FilterBenchResult {
  readonly planted: PlantedFigures;
  readonly encoded: PlantedFigures;
  readonly benign: BenignFigures;
  readonly timing: readonly TimingRow[];
  /** Absent when the baseline could not be read from git (no repository, shallow clone). */
  readonly cost?: CostFigures;
}

/** Options of {@link runFilterBench}. */
export interface FilterBenchOptions {
  /** Skip the adversarial timing and the cost comparison (the corpus figures take milliseconds, these seconds). @default false */
  readonly skipTiming?: boolean;
}

/**
 * Redacts every sample; a sample counts when all its secrets are gone and its kind is reported.
 * @param samples the planted corpus unless given (the encoded corpus, for example)
 */
export function measurePlanted(samples: readonly PlantedSample[] = plantedSamples(), redact: Redact = redactText): PlantedFigures {
  const missed: string[] = [];
  for (const sample of samples) {
    const { text, redactions } = redact(sample.text, FULL_PROFILE);
    if (leaksSecret(sample, text) || !redactions[sample.kind]) missed.push(sample.id);
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

/** The baseline filter's `redactText`, read from git into a temporary folder; `undefined` without git history. */
async function loadBaseline(): Promise<{ redact: Redact; cleanup: () => void } | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'filters-baseline-'));
  try {
    for (const file of BASELINE_FILES) {
      const source = execFileSync('git', ['show', `${BASELINE_COMMIT}:runtime/src/filters/${file}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      writeFileSync(join(dir, file), source);
    }
    const module = (await import(pathToFileURL(join(dir, 'redact.ts')).href)) as { redactText: Redact };
    return { redact: module.redactText, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Times the current filter and the baseline on the same inputs, alternating, fastest of several runs each. */
export async function measureCost(): Promise<CostFigures | undefined> {
  const baseline = await loadBaseline();
  if (!baseline) return undefined;
  try {
    const corpus = [...plantedSamples(), ...encodedSamples(), ...benignSamples()].map((s) => s.text);
    const large = ADVERSARIAL_FAMILIES.filter(({ family }) => !family.startsWith('moderation')).map(({ build }) => build(1_000_000));
    const both = async (inputs: readonly string[], runs: number, ms: number): Promise<[number, number]> => {
      const once = (redact: Redact) => () => {
        for (const input of inputs) redact(input, FULL_PROFILE);
      };
      return [await timeIt(once(baseline.redact), runs, ms), await timeIt(once(redactText), runs, ms)];
    };
    const corpusMs = await both(corpus, 21, 300);
    const adversarialMs = await both(large, 3, 0);
    return {
      corpusMs,
      adversarialMs,
      corpusRatio: corpusMs[1] / corpusMs[0],
      adversarialRatio: adversarialMs[1] / adversarialMs[0],
      baselineEncoded: measurePlanted(encodedSamples(), baseline.redact),
    };
  } finally {
    baseline.cleanup();
  }
}

/**
 * Runs the whole filter benchmark.
 * @returns the planted redaction rate (target 100 %), the benign false-positive rate (target
 *   under 2 %), and the adversarial timing table (target: ratios near 10, far from 100).
 */
export async function runFilterBench(options: FilterBenchOptions = {}): Promise<FilterBenchResult> {
  const planted = measurePlanted();
  const encoded = measurePlanted(encodedSamples());
  const benign = measureBenign();
  const timing = options.skipTiming ? [] : await measureAdversarialTiming();
  const cost = options.skipTiming ? undefined : await measureCost();
  return { planted, encoded, benign, timing, ...(cost ? { cost } : {}) };
}

const percent = (share: number): string => `${(share * 100).toFixed(2)} %`;

/** Prints the figures as a report; returns whether every target was met. */
export function printFilterBench(result: FilterBenchResult): boolean {
  const { planted, encoded, benign, timing, cost } = result;
  const plantedOk = planted.rate === 1;
  const encodedOk = encoded.rate === 1;
  // Not above the rate before normalisation and decoding: 3 of 241 benign samples.
  const benignOk = benign.rate <= BENIGN_FALSE_POSITIVE_CEILING;
  console.log('Output filters');
  console.log(`  planted secrets and personal data redacted: ${planted.redacted}/${planted.total} = ${percent(planted.rate)}  (target 100 %) ${plantedOk ? 'ok' : 'FAIL'}`);
  if (planted.missed.length > 0) console.log(`    missed: ${planted.missed.join(', ')}`);
  console.log(`  encoded secrets and personal data redacted: ${encoded.redacted}/${encoded.total} = ${percent(encoded.rate)}  (target 100 %) ${encodedOk ? 'ok' : 'FAIL'}`);
  if (encoded.missed.length > 0) console.log(`    missed: ${encoded.missed.join(', ')}`);
  console.log(`  benign samples changed (false positives):   ${benign.falsePositives}/${benign.total} = ${percent(benign.rate)}  (target <= ${percent(BENIGN_FALSE_POSITIVE_CEILING)}) ${benignOk ? 'ok' : 'FAIL'}`);
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
  if (cost) {
    const { baselineEncoded: before } = cost;
    console.log(`\n  against the filter of ${BASELINE_COMMIT.slice(0, 7)} (no normalisation, no decoding), same run`);
    console.log(`    encoded corpus redacted by the baseline:  ${before.redacted}/${before.total} = ${percent(before.rate)}`);
    console.log(`    corpus (${'every sample once'}):            ${cost.corpusMs[0].toFixed(2)} ms -> ${cost.corpusMs[1].toFixed(2)} ms  = ${cost.corpusRatio.toFixed(2)}x`);
    console.log(`    adversarial families at 1 MB, summed:     ${cost.adversarialMs[0].toFixed(1)} ms -> ${cost.adversarialMs[1].toFixed(1)} ms  = ${cost.adversarialRatio.toFixed(2)}x`);
  }
  return plantedOk && encodedOk && benignOk && linear;
}

/** The benign false-positive rate before normalisation and decoding (3 of 241); the filter must not exceed it. */
export const BENIGN_FALSE_POSITIVE_CEILING = 3 / 241;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runFilterBench();
  if (!printFilterBench(result)) process.exitCode = 1;
}
