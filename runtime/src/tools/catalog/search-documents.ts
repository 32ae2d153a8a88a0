import { z } from 'zod';
import { redactText } from '../../filters/index.js';
import { defineTool, type OutputFilterProfile } from '../definition.js';
import { DOCUMENTS, type BundledDocument } from './documents.js';

const WORD = /[a-z0-9]+/g;
const CURSOR_KIND = 'search_documents.cursor';
const CURSOR_TTL_SECONDS = 600;
const OUTPUT_FILTER: OutputFilterProfile = { redactPersonalData: true, moderate: true };

/**
 * The documents as the output filter lets a caller see them. The index is built from these, never
 * from the originals: an index of the unredacted text would answer "is there a document containing
 * AKIA…?" or "… card digits 4539?" for values the filter removes from every answer.
 */
const VISIBLE: readonly BundledDocument[] = DOCUMENTS.map((document) => ({
  id: document.id,
  title: redactText(document.title, OUTPUT_FILTER).text,
  text: redactText(document.text, OUTPUT_FILTER).text,
}));

// Terms of each visible document, computed once at load.
const INDEX = VISIBLE.map((document) => ({
  document,
  terms: new Set(`${document.title} ${document.text}`.toLowerCase().match(WORD) ?? []),
}));

const cursorSchema = z.strictObject({ words: z.array(z.string()), offset: z.number().int().min(0) });

/**
 * Searches the bundled internal documents. It searches and returns them as the output filter leaves
 * them, so a query cannot find a document by a value the filter removes; results pass the
 * personal-data and secret filters again on the way out. More
 * results are reached with a `cursor`: a server-minted handle bound to the caller, so a cursor
 * leaked to someone else resolves to nothing.
 */
export const searchDocuments = defineTool({
  name: 'search_documents',
  title: 'Search internal documents',
  description: 'Finds internal documents whose title or text contains all the given words. Pass the returned cursor to get more.',
  input: z.strictObject({
    query: z.string().min(1).max(200).optional().describe('Words to look for.'),
    cursor: z.string().min(16).max(128).optional().describe('The cursor a previous search returned.'),
    limit: z.number().int().min(1).max(10).default(3).describe('Most documents to return.'),
  }),
  output: z.strictObject({
    results: z.array(z.strictObject({ id: z.string(), title: z.string(), text: z.string() })),
    cursor: z.string().optional(),
  }),
  access: { scopes: ['mcp:docs.search'], anyGroup: ['staff', 'operators'] },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  deadlineMs: 2_000,
  concurrencyPerPrincipal: 4,
  outputFilter: OUTPUT_FILTER,
  handler: async ({ query, cursor, limit }, { handles }) => {
    let words: string[];
    let offset = 0;
    if (cursor !== undefined) {
      const saved = cursorSchema.safeParse(await handles.resolve(cursor, CURSOR_KIND));
      if (!saved.success) return { content: [{ type: 'text', text: 'The cursor is unknown or expired. Search again.' }], structuredContent: { results: [] } };
      ({ words, offset } = saved.data);
    } else {
      words = (query ?? '').toLowerCase().match(WORD) ?? [];
    }
    const matches = INDEX.filter(({ terms }) => words.length > 0 && words.every((word) => terms.has(word)));
    const results = matches.slice(offset, offset + limit).map(({ document }) => ({ id: document.id, title: document.title, text: document.text }));
    const next = offset + limit < matches.length ? await handles.mint(CURSOR_KIND, { words, offset: offset + limit }, CURSOR_TTL_SECONDS) : undefined;
    const text = results.length === 0 ? 'No documents match.' : results.map((result) => `# ${result.title}\n${result.text}`).join('\n\n');
    return {
      content: [{ type: 'text', text: next ? `${text}\n\nMore results: cursor ${next}` : text }],
      structuredContent: { results, ...(next ? { cursor: next } : {}) },
    };
  },
});
