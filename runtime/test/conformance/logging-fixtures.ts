import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../../src/tools/definition.js';
import { FIXTURE_LIMITS } from './fixtures.js';

/**
 * The logging tools the conformance suite calls: each logs through the platform's `ctx.log`, so the
 * client's level (the session's `logging/setLevel` in 2025, the request's `_meta` `logLevel` in
 * 2026-07-28) decides what arrives. Test only (under `runtime/test/`, never in the image).
 */

const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 50));

const CONTROLS = { ...FIXTURE_LIMITS, input: z.strictObject({}), annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false } } as const;

/** Scenario `tools-call-with-logging` (2025-11-25): three info messages, with pauses between them. */
export const testToolWithLogging = defineTool({
  name: 'test_tool_with_logging',
  title: 'Conformance: logging',
  description: 'Logs three messages while it runs (conformance fixture).',
  ...CONTROLS,
  handler: async (_args, { log }) => {
    await log('info', 'Tool execution started');
    await pause();
    await log('info', 'Tool processing data');
    await pause();
    await log('info', 'Tool execution completed');
    return { content: [{ type: 'text', text: 'Logged three messages.' }] };
  },
});

/** The diagnostic tool of `server-stateless` (2026-07-28): logs, so a request without `logLevel` must see no message. */
export const testLoggingTool = defineTool({
  name: 'test_logging_tool',
  title: 'Conformance: logging diagnostic',
  description: 'Logs at several levels; a request without a log level receives none (conformance fixture).',
  ...CONTROLS,
  handler: async (_args, { log }) => {
    await log('debug', 'debug message from test_logging_tool');
    await log('info', 'info message from test_logging_tool');
    await log('error', 'error message from test_logging_tool');
    return { content: [{ type: 'text', text: 'Logged at debug, info and error.' }] };
  },
});

/** The logging fixtures of the conformance profile. */
export const LOGGING_FIXTURES: readonly ToolDefinition[] = [testToolWithLogging, testLoggingTool] as ToolDefinition[];
