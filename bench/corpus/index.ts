/**
 * The filter benchmark corpus: planted secrets and personal data that must all be redacted, benign
 * text that must be left alone, and adversarial inputs for timing. All generated deterministically
 * from fixed seeds; every value is fake.
 */
export { plantedSamples, type PlantedSample } from './planted.js';
export { encodedSamples, leaksSecret } from './encoded.js';
export { benignSamples, type BenignSample } from './benign.js';
export { ADVERSARIAL_FAMILIES, type AdversarialFamily } from './adversarial.js';
