import { z } from 'zod';
import { defineTool } from '../../runtime/src/tools/definition.js';

/** Scope of the benchmark's echo tool. */
export const ECHO_SCOPE = 'mcp:bench.echo';

/**
 * The benchmark's echo tool for R2: the same job as R1's echo tool, declared like every kit tool so
 * that each call goes through the whole platform (policy, strict validation, credential-value check,
 * concurrency slot, deadline, secret and personal-data redaction, local moderation, metrics).
 */
export const echoTool = defineTool({
  name: 'echo',
  title: 'Echo',
  description: 'Returns the text it was given.',
  input: z.strictObject({ text: z.string().min(1).max(1000).describe('Text to send back.') }),
  access: { scopes: [ECHO_SCOPE] },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  deadlineMs: 2_000,
  concurrencyPerPrincipal: 8,
  outputFilter: { redactPersonalData: true, moderate: true },
  handler: async ({ text }) => ({ content: [{ type: 'text', text }] }),
});
