import { z } from 'zod';
import { defineResource, definePrompt, defineResourceTemplate, type CapabilityDeclarations } from '../../src/capabilities/index.js';
import { defineTool, type ToolDefinition } from '../../src/tools/definition.js';
import { FIXTURE_LIMITS } from './fixtures.js';

/**
 * The resources, templates, prompts and content tools the conformance suite's scenarios read, as the
 * kit's declaration API expresses them: every one a normal declaration with a scope, a deadline, a
 * concurrency limit and an output filter profile, linted like any other. Test only (under
 * `runtime/test/`, never in the image).
 */

const CONTROLS = FIXTURE_LIMITS;

/** A 1×1 red PNG. */
export const RED_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** A WAV header with no samples. */
const EMPTY_WAV = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=';

const staticText = defineResource({
  uri: 'test://static-text',
  name: 'static_text',
  title: 'Conformance: static text',
  description: 'A fixed text resource (conformance fixture).',
  mimeType: 'text/plain',
  ...CONTROLS,
  read: async () => [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
});

const staticBinary = defineResource({
  uri: 'test://static-binary',
  name: 'static_binary',
  title: 'Conformance: static binary',
  description: 'A fixed PNG resource (conformance fixture).',
  mimeType: 'image/png',
  ...CONTROLS,
  read: async () => [{ uri: 'test://static-binary', mimeType: 'image/png', blob: RED_PIXEL_PNG }],
});

const watched = defineResource({
  uri: 'test://watched-resource',
  name: 'watched_resource',
  title: 'Conformance: subscribable resource',
  description: 'A resource clients subscribe to (conformance fixture).',
  mimeType: 'text/plain',
  ...CONTROLS,
  read: async () => [{ uri: 'test://watched-resource', mimeType: 'text/plain', text: 'Watched resource content.' }],
});

const templated = defineResourceTemplate({
  uriTemplate: 'test://template/{id}/data',
  name: 'template_data',
  title: 'Conformance: resource template',
  description: 'Data for an id, from a URI template (conformance fixture).',
  mimeType: 'application/json',
  arguments: z.strictObject({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9-]+$/).describe('Item id.') }),
  ...CONTROLS,
  read: async ({ id }, { uri }) => [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
});

const simplePrompt = definePrompt({
  name: 'test_simple_prompt',
  title: 'Conformance: simple prompt',
  description: 'A prompt without arguments (conformance fixture).',
  arguments: z.strictObject({}),
  ...CONTROLS,
  get: async () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] }),
});

const promptWithArguments = definePrompt({
  name: 'test_prompt_with_arguments',
  title: 'Conformance: prompt with arguments',
  description: 'A prompt with two arguments (conformance fixture).',
  arguments: z.strictObject({
    arg1: z.string().max(200).describe('First test argument.'),
    arg2: z.string().max(200).describe('Second test argument.'),
  }),
  ...CONTROLS,
  complete: { arg1: async (value) => ['paris', 'park', 'party'].filter((word) => word.startsWith(value.toLowerCase())) },
  get: async ({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] }),
});

const promptWithResource = definePrompt({
  name: 'test_prompt_with_embedded_resource',
  title: 'Conformance: prompt with an embedded resource',
  description: 'A prompt that embeds a resource (conformance fixture).',
  arguments: z.strictObject({ resourceUri: z.string().max(200).describe('URI of the resource to embed.') }),
  ...CONTROLS,
  get: async ({ resourceUri }) => ({
    messages: [
      { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
      { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
    ],
  }),
});

const promptWithImage = definePrompt({
  name: 'test_prompt_with_image',
  title: 'Conformance: prompt with an image',
  description: 'A prompt that carries an image (conformance fixture).',
  arguments: z.strictObject({}),
  ...CONTROLS,
  get: async () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }),
});

/** The resources, templates and prompts of the conformance profile. */
export const CONFORMANCE_CAPABILITIES: CapabilityDeclarations = {
  resources: [staticText, staticBinary, watched],
  templates: [templated],
  prompts: [simplePrompt, promptWithArguments, promptWithResource, promptWithImage],
} as CapabilityDeclarations;

const TOOL_CONTROLS = { ...CONTROLS, input: z.strictObject({}), annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false } } as const;

/** Tools whose results carry content beyond text (scenarios `tools-call-image`, `-audio`, `-embedded-resource`, `-mixed-content`). */
export const CONTENT_FIXTURES: readonly ToolDefinition[] = [
  defineTool({
    name: 'test_image_content',
    title: 'Conformance: image content',
    description: 'Returns an image block (conformance fixture).',
    ...TOOL_CONTROLS,
    handler: async () => ({ content: [{ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' }] }),
  }),
  defineTool({
    name: 'test_audio_content',
    title: 'Conformance: audio content',
    description: 'Returns an audio block (conformance fixture).',
    ...TOOL_CONTROLS,
    handler: async () => ({ content: [{ type: 'audio', data: EMPTY_WAV, mimeType: 'audio/wav' }] }),
  }),
  defineTool({
    name: 'test_embedded_resource',
    title: 'Conformance: embedded resource',
    description: 'Returns an embedded resource block (conformance fixture).',
    ...TOOL_CONTROLS,
    handler: async () => ({ content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }] }),
  }),
  defineTool({
    name: 'test_multiple_content_types',
    title: 'Conformance: mixed content',
    description: 'Returns text, an image and an embedded resource (conformance fixture).',
    ...TOOL_CONTROLS,
    handler: async () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
      ],
    }),
  }),
  defineTool({
    name: 'test_tool_with_progress',
    title: 'Conformance: progress',
    description: 'Reports progress 0, 50 and 100 of 100 while it runs (conformance fixture).',
    ...TOOL_CONTROLS,
    handler: async (_args, { progress }) => {
      const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 50));
      await progress(0, 100);
      await pause();
      await progress(50, 100);
      await pause();
      await progress(100, 100);
      return { content: [{ type: 'text', text: 'Progress reported: 0, 50, 100 of 100.' }] };
    },
  }),
] as ToolDefinition[];
