import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../../src/tools/definition.js';
import { FIXTURE_LIMITS } from './fixtures.js';

/**
 * The tool scenario `http-custom-header-server-validation` (SEP-2243) needs: one string parameter
 * mirrored into the header `Mcp-Param-Region` (`x-mcp-header`). The kit checks the header against
 * the arguments before the call runs. Test only (under `runtime/test/`, never in the image).
 */
export const testMirroredHeader = defineTool({
  name: 'test_mirrored_header',
  title: 'Conformance: mirrored header parameter',
  description: 'Returns the region it was given, which the client also sends in Mcp-Param-Region (conformance fixture).',
  input: z.strictObject({ region: z.string().max(200).describe('A region name.').meta({ 'x-mcp-header': 'Region' }) }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  ...FIXTURE_LIMITS,
  handler: async ({ region }) => ({ content: [{ type: 'text', text: `Region: ${region.length} characters.` }] }),
});

/** The header fixtures of the conformance profile. */
export const HEADER_FIXTURES: readonly ToolDefinition[] = [testMirroredHeader] as ToolDefinition[];
