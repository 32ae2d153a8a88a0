import { z } from 'zod';
import { DOCUMENTS } from '../../tools/catalog/documents.js';
import { defineResource, defineResourceTemplate } from '../definition.js';

/**
 * The bundled internal documents as MCP resources: an index listing them, and one resource per
 * document through the template `docs://documents/{id}`, with completion of the id. The same
 * access as the `search_documents` tool; contents pass secret and personal-data redaction and
 * moderation, so what was pasted into a document by mistake never reaches a client.
 */

const DOCUMENT_ACCESS = { scopes: ['mcp:docs.search'], anyGroup: ['staff', 'operators'] } as const;
const CONTROLS = { access: DOCUMENT_ACCESS, deadlineMs: 2_000, concurrencyPerPrincipal: 4, outputFilter: { redactPersonalData: true, moderate: true } } as const;

/** `docs://documents`: the index of the bundled documents, one `id: title` line each. */
export const documentIndex = defineResource({
  uri: 'docs://documents',
  name: 'documents',
  title: 'Internal documents',
  description: 'The index of the internal documents: one line per document with its id and title.',
  mimeType: 'text/plain',
  ...CONTROLS,
  read: async () => [{ uri: 'docs://documents', mimeType: 'text/plain', text: DOCUMENTS.map((document) => `${document.id}: ${document.title}`).join('\n') }],
});

const DOCUMENT_ID = z.string().min(1).max(64).regex(/^[a-z0-9-]+$/).describe('Document id, as the index lists it.');

/** `docs://documents/{id}`: one bundled document, as Markdown. */
export const documentById = defineResourceTemplate({
  uriTemplate: 'docs://documents/{id}',
  name: 'document',
  title: 'Internal document',
  description: 'One internal document by id, as Markdown.',
  mimeType: 'text/markdown',
  arguments: z.strictObject({ id: DOCUMENT_ID }),
  ...CONTROLS,
  complete: { id: async (value) => DOCUMENTS.map((document) => document.id).filter((id) => id.startsWith(value)) },
  read: async ({ id }, { uri }) => {
    const document = DOCUMENTS.find((candidate) => candidate.id === id);
    return document ? [{ uri, mimeType: 'text/markdown', text: `# ${document.title}\n\n${document.text}` }] : [];
  },
});

/**
 * `docs://runbooks/incident-response`: for operators only. Everyone else neither sees it in
 * `resources/list` nor can read it: the answer is the one a URI that does not exist gets.
 */
export const incidentRunbook = defineResource({
  uri: 'docs://runbooks/incident-response',
  name: 'incident_runbook',
  title: 'Incident response runbook',
  description: 'What the on-call operator does in the first hour of an incident.',
  mimeType: 'text/markdown',
  ...CONTROLS,
  access: { scopes: ['mcp:docs.search'], anyGroup: ['operators'] },
  read: async () => [
    {
      uri: 'docs://runbooks/incident-response',
      mimeType: 'text/markdown',
      text: '# Incident response\n\n1. Page the incident lead.\n2. Open the incident channel.\n3. Freeze deploys until the lead lifts the freeze.',
    },
  ],
});
