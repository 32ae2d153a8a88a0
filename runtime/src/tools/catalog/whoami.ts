import { z } from 'zod';
import { defineTool } from '../definition.js';

/** Returns the caller's public identity as the server sees it. Never the token. */
export const whoami = defineTool({
  name: 'whoami',
  title: 'Who am I',
  description: 'Returns the identity the server authenticated for this request: subject, client, scopes and groups.',
  input: z.strictObject({}),
  output: z.strictObject({
    issuer: z.string(),
    subject: z.string(),
    clientId: z.string(),
    scopes: z.array(z.string()),
    groups: z.array(z.string()),
    expiresAt: z.string(),
  }),
  access: { scopes: ['mcp:identity.read'] },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  deadlineMs: 2_000,
  concurrencyPerPrincipal: 8,
  outputFilter: { redactPersonalData: false, moderate: false },
  handler: async (_args, { principal }) => {
    const identity = {
      issuer: principal.issuer,
      subject: principal.subject,
      clientId: principal.clientId,
      scopes: [...principal.scopes],
      groups: [...principal.groups],
      expiresAt: new Date(principal.expiresAt * 1000).toISOString(),
    };
    return { content: [{ type: 'text', text: JSON.stringify(identity) }], structuredContent: identity };
  },
});
