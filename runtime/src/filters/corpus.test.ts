import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { benignSamples, plantedSamples } from '../../../bench/corpus/index.js';
import { PERSONAL_DATA_KINDS, SECRET_KINDS, redactText } from './index.js';

const ALL = { redactPersonalData: true };

describe('filter corpus', () => {
  test('has at least 200 planted samples covering every kind, and at least 200 benign ones', () => {
    const planted = plantedSamples();
    assert.ok(planted.length >= 200, `${planted.length} planted samples`);
    assert.deepEqual(new Set(planted.map((s) => s.kind)), new Set([...SECRET_KINDS, ...PERSONAL_DATA_KINDS]));
    assert.ok(benignSamples().length >= 200);
  });

  test('redacts 100 % of the planted secrets and personal data', () => {
    const missed = plantedSamples()
      .filter((sample) => {
        const { text, redactions } = redactText(sample.text, ALL);
        return sample.secrets.some((secret) => text.includes(secret)) || !redactions[sample.kind];
      })
      .map((sample) => sample.id);
    assert.deepEqual(missed, []);
  });

  test('changes fewer than 2 % of the benign samples', () => {
    const samples = benignSamples();
    const changed = samples.filter((sample) => redactText(sample.text, ALL).text !== sample.text).map((s) => s.id);
    assert.ok(changed.length / samples.length < 0.02, `false positives: ${changed.join(', ')}`);
  });

  test('is the same on every call', () => {
    assert.deepEqual(plantedSamples(), plantedSamples());
    assert.deepEqual(benignSamples(), benignSamples());
  });
});
