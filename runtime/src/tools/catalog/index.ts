import type { ToolDefinition } from '../definition.js';
import { generateReport } from './generate-report.js';
import { notesAdd, notesClear, notesList, notesRemove } from './notes.js';
import { searchDocuments } from './search-documents.js';
import { whoami } from './whoami.js';

/** The tools this kit ships. A platform team adds its own files here. */
export const DEFAULT_TOOLS: readonly ToolDefinition[] = [
  whoami,
  notesList,
  notesAdd,
  notesRemove,
  notesClear,
  searchDocuments,
  generateReport,
] as ToolDefinition[];
