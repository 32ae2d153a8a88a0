import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineTool } from '../definition.js';

/**
 * A deliberately slow tool: it works for the requested number of seconds, in steps, and stops as
 * soon as its signal aborts. With a 5 s deadline, asking for more shows how deadlines answer.
 */
export const generateReport = defineTool({
  name: 'generate_report',
  title: 'Generate a usage report',
  description: 'Builds a usage report; takes the given number of seconds. Reports longer than the deadline are stopped.',
  input: z.strictObject({
    seconds: z.number().min(0).max(30).describe('How long the report takes to build.'),
  }),
  output: z.strictObject({ steps: z.number().int(), finishedAt: z.string() }),
  access: { scopes: ['mcp:reports.run'], anyGroup: ['analysts', 'operators'] },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  deadlineMs: 5_000,
  concurrencyPerPrincipal: 1,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async ({ seconds }, { signal }) => {
    const steps = Math.ceil(seconds * 10);
    for (let step = 0; step < steps; step += 1) {
      await sleep(100, undefined, { signal });
    }
    const report = { steps, finishedAt: new Date().toISOString() };
    return { content: [{ type: 'text', text: `Report built in ${steps} steps.` }], structuredContent: report };
  },
});
