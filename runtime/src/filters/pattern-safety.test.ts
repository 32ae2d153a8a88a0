import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ADVERSARIAL_FAMILIES } from '../../../bench/corpus/index.js';
import { ALL_DETECTORS } from './detectors.js';
import { ENCODING_PATTERNS } from './encodings.js';
import { NORMALIZATION_PATTERNS } from './normalize.js';
import { INSTRUCTION_INJECTION_RULES } from './injection.js';
import { MAX_FILTER_TEXT_LENGTH } from './limits.js';
import { DEFAULT_MODERATION_RULES, LocalRulesModerationProvider } from './moderation.js';
import { redactText } from './redact.js';

/** Removes escapes and character classes, leaving the quantifiers and groups of a pattern source. */
function structureOf(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      out += inClass ? '' : 'e';
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        out += 'c';
      }
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    out += c;
  }
  return out;
}

const UNBOUNDED = /[*+]|\{\d+,\}/;
const QUANTIFIER_BOUND = /\{\d+(?:,(\d+))?\}/g;

const PATTERNS: Array<[string, RegExp]> = [
  ...ALL_DETECTORS.map((d): [string, RegExp] => [d.kind, d.pattern]),
  ...INSTRUCTION_INJECTION_RULES.map((r): [string, RegExp] => [`injection ${r.name}`, r.pattern]),
  ...DEFAULT_MODERATION_RULES.map((r, i): [string, RegExp] => [`moderation ${r.category} #${i}`, r.pattern]),
  ...NORMALIZATION_PATTERNS.map((pattern, i): [string, RegExp] => [`normalisation #${i}`, pattern]),
  ...ENCODING_PATTERNS.map((pattern, i): [string, RegExp] => [`encodings #${i}`, pattern]),
];

describe('pattern safety', () => {
  test('every quantifier of every pattern is bounded', () => {
    for (const [name, pattern] of PATTERNS) {
      const structure = structureOf(pattern.source);
      assert.equal(UNBOUNDED.test(structure), false, `${name} has an unbounded quantifier: ${pattern.source}`);
      for (const [, max] of structure.matchAll(QUANTIFIER_BOUND)) {
        assert.ok(max === undefined || Number(max) <= MAX_FILTER_TEXT_LENGTH, `${name} has a bound above the text limit`);
      }
    }
  });

  test('every detector pattern is global and every rule pattern is not', () => {
    for (const detector of ALL_DETECTORS) assert.equal(detector.pattern.global, true, detector.kind);
    for (const rule of DEFAULT_MODERATION_RULES) assert.equal(rule.pattern.global || rule.pattern.sticky, false);
  });

  test('work grows linearly on adversarial input (coarse check; the benchmark prints exact figures)', async () => {
    const moderation = new LocalRulesModerationProvider();
    const signal = new AbortController().signal;
    // A complexity check, not a speed target: the ratio of this process's own CPU time (not wall
    // time, which other processes on a shared machine inflate) for 10x the input, best of five.
    const fastest = async (run: () => unknown): Promise<number> => {
      await run();
      let best = Infinity;
      for (let i = 0; i < 5; i++) {
        const before = process.cpuUsage();
        await run();
        const used = process.cpuUsage(before);
        best = Math.min(best, (used.user + used.system) / 1000);
      }
      return best;
    };
    for (const { family, build } of ADVERSARIAL_FAMILIES) {
      // 20x the input: about 20x the time when linear, about 400x when quadratic. The small input
      // fits in the CPU cache and the large does not, which on a busy shared machine alone has cost
      // up to 6x, so the bound sits halfway between.
      const small = build(20_000);
      const large = build(400_000);
      const run = family.startsWith('moderation')
        ? (text: string) => moderation.moderate(text, signal)
        : (text: string) => redactText(text, { redactPersonalData: true });
      const ratio = (await fastest(() => run(large))) / Math.max(await fastest(() => run(small)), 0.05);
      assert.ok(ratio < 200, `${family}: 20x input took ${ratio.toFixed(1)}x the time`);
    }
  });
});
