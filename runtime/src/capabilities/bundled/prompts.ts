import { z } from 'zod';
import { DOCUMENTS } from '../../tools/catalog/documents.js';
import { definePrompt, type PromptMessage } from '../definition.js';

const CONTROLS = { deadlineMs: 2_000, concurrencyPerPrincipal: 4, outputFilter: { redactPersonalData: true, moderate: true } } as const;
const completeDocumentId = async (value: string) => DOCUMENTS.map((document) => document.id).filter((id) => id.startsWith(value));

/**
 * `summarize_document`: asks the model to summarise one bundled document, which the prompt embeds
 * as a resource. The embedded text passes the same redaction as the resource itself.
 */
export const summarizeDocument = definePrompt({
  name: 'summarize_document',
  title: 'Summarise an internal document',
  description: 'Asks for a short summary of one internal document, embedding the document.',
  arguments: z.strictObject({
    id: z.string().min(1).max(64).regex(/^[a-z0-9-]+$/).describe('Document id, as the documents index lists it.'),
    audience: z.string().max(80).optional().describe('Who the summary is for, e.g. "new engineers".'),
  }),
  access: { scopes: ['mcp:docs.search'], anyGroup: ['staff', 'operators'] },
  ...CONTROLS,
  complete: { id: completeDocumentId },
  get: async ({ id, audience }) => summaryPrompt(id, audience),
});

/** What `summarize_document` answers for document `id` (also served by the benchmark's plain SDK server). */
export function summaryPrompt(id: string, audience: string | undefined): { description?: string; messages: PromptMessage[] } {
  const document = DOCUMENTS.find((candidate) => candidate.id === id);
  if (!document) return { messages: [{ role: 'user', content: { type: 'text', text: `There is no document "${id}".` } }] };
  return {
    description: `Summary of "${document.title}"`,
    messages: [
      { role: 'user', content: { type: 'resource', resource: { uri: `docs://documents/${document.id}`, mimeType: 'text/markdown', text: `# ${document.title}\n\n${document.text}` } } },
      { role: 'user', content: { type: 'text', text: `Summarise the document above in three sentences${audience ? ` for ${audience}` : ''}.` } },
    ],
  };
}

/** `incident_review`: for operators only; hidden from everyone else exactly like a prompt that does not exist. */
export const incidentReview = definePrompt({
  name: 'incident_review',
  title: 'Review an incident',
  description: 'Asks for a blameless review of an incident from its notes.',
  arguments: z.strictObject({ incident: z.string().min(1).max(64).regex(/^[a-z0-9-]+$/).describe('Incident id, e.g. incident-2291.') }),
  access: { scopes: ['mcp:docs.search'], anyGroup: ['operators'] },
  ...CONTROLS,
  get: async ({ incident }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Write a blameless review of ${incident}: timeline, impact, causes, actions.` } }],
  }),
});
