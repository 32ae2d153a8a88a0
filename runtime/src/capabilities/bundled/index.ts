import type { CapabilityDeclarations } from '../definition.js';
import { documentById, documentIndex, incidentRunbook } from './documents.js';
import { incidentReview, summarizeDocument } from './prompts.js';

/** The resources, templates and prompts this kit ships beside its tools. A platform team adds its own here. */
export const DEFAULT_CAPABILITIES: CapabilityDeclarations = {
  resources: [documentIndex, incidentRunbook],
  templates: [documentById],
  prompts: [summarizeDocument, incidentReview],
} as CapabilityDeclarations;
