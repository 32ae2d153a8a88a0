import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PublicError } from '../../errors/index.js';
import { defineTool, type UserStateAccess } from '../definition.js';

const MAX_NOTES = 50;

const noteSchema = z.strictObject({ id: z.string(), text: z.string(), createdAt: z.string() });
const notebookSchema = z.strictObject({ notes: z.array(noteSchema).max(MAX_NOTES) });
type Notebook = z.infer<typeof notebookSchema>;

async function readNotebook(state: UserStateAccess): Promise<{ notebook: Notebook; version: number }> {
  const stored = await state.read();
  if (!stored) return { notebook: { notes: [] }, version: 0 };
  const parsed = notebookSchema.safeParse(stored.value);
  if (!parsed.success) throw new PublicError('internal', [], { cause: new Error('stored notebook does not match its schema') });
  return { notebook: parsed.data, version: stored.version };
}

function listing(notebook: Notebook) {
  return {
    content: [{ type: 'text' as const, text: notebook.notes.length === 0 ? 'No notes.' : notebook.notes.map((note) => `- [${note.id}] ${note.text}`).join('\n') }],
    structuredContent: { notes: notebook.notes },
  };
}

const notesOutput = z.strictObject({ notes: z.array(noteSchema) });

/** Lists the caller's notes. Notes are per user, durable, and shared by every instance and session of that user. */
export const notesList = defineTool({
  name: 'notes_list',
  title: 'List my notes',
  description: 'Lists the notes you saved earlier, newest last.',
  input: z.strictObject({}),
  output: notesOutput,
  access: { scopes: ['mcp:notes.read'] },
  stateScope: 'notes',
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  deadlineMs: 3_000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async (_args, { state }) => listing((await readNotebook(state)).notebook),
});

/** Adds a note. The write is conditional on the notebook's version, so concurrent writers never lose a note silently. */
export const notesAdd = defineTool({
  name: 'notes_add',
  title: 'Add a note',
  description: `Saves a short note for you (at most ${MAX_NOTES} notes of up to 1000 characters).`,
  input: z.strictObject({ text: z.string().min(1).max(1000).describe('The note.') }),
  output: notesOutput,
  access: { scopes: ['mcp:notes.write'] },
  stateScope: 'notes',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  deadlineMs: 3_000,
  concurrencyPerPrincipal: 2,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async ({ text }, { state }) => {
    const { notebook, version } = await readNotebook(state);
    if (notebook.notes.length >= MAX_NOTES) throw new PublicError('invalid_arguments', [`at most ${MAX_NOTES} notes are kept; remove one first`]);
    const next = { notes: [...notebook.notes, { id: randomUUID().slice(0, 8), text, createdAt: new Date().toISOString() }] };
    await state.write(next, version);
    return listing(next);
  },
});

/** Removes one note by id. */
export const notesRemove = defineTool({
  name: 'notes_remove',
  title: 'Remove a note',
  description: 'Removes one of your notes by its id.',
  input: z.strictObject({
    id: z
      .string()
      .length(8)
      .regex(/^[0-9a-f]{8}$/, 'must be a note id as notes_list shows it: 8 characters of 0-9 and a-f')
      .describe('The note id shown by notes_list.'),
  }),
  output: notesOutput,
  access: { scopes: ['mcp:notes.write'] },
  stateScope: 'notes',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  deadlineMs: 3_000,
  concurrencyPerPrincipal: 2,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async ({ id }, { state }) => {
    const { notebook, version } = await readNotebook(state);
    const next = { notes: notebook.notes.filter((note) => note.id !== id) };
    if (next.notes.length !== notebook.notes.length) await state.write(next, version);
    return listing(next);
  },
});

/**
 * Deletes every note of the caller. Declared `confirm: true`: the platform asks the user by
 * elicitation before the handler runs, and runs nothing when the user declines or the client
 * cannot ask.
 */
export const notesClear = defineTool({
  name: 'notes_clear',
  title: 'Delete all my notes',
  description: 'Deletes every note you saved. This cannot be undone.',
  input: z.strictObject({}),
  output: notesOutput,
  access: { scopes: ['mcp:notes.write'] },
  stateScope: 'notes',
  confirm: true,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  deadlineMs: 3_000,
  concurrencyPerPrincipal: 2,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async (_args, { state }) => {
    const { notebook, version } = await readNotebook(state);
    const next = { notes: [] };
    if (notebook.notes.length > 0) await state.write(next, version);
    return { content: [{ type: 'text', text: `Deleted ${notebook.notes.length} notes.` }], structuredContent: next };
  },
});
