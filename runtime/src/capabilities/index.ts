/**
 * Capabilities beside tools: resources, resource templates, prompts and completions, declared once
 * with the same controls as tools and served through the same pipeline.
 */
export { defineResource, defineResourceTemplate, definePrompt } from './definition.js';
export type {
  ArgumentCompleter,
  CapabilityContext,
  CapabilityControls,
  CapabilityDeclarations,
  PromptDefinition,
  PromptMessage,
  ResourceDefinition,
  ResourceTemplateDefinition,
} from './definition.js';
export type { ContentBlock, ResourceContents } from './content.js';
export { CapabilityCatalog } from './catalog.js';
export { createCapabilityService, type CapabilityService } from './serve.js';
export { DEFAULT_CAPABILITIES } from './bundled/index.js';
