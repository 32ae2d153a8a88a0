/**
 * Output filters: secret and personal-data redaction, credential-value detection for tool-call
 * arguments, moderation providers, and the text checks the tool-catalog lint shares with them.
 *
 * Every pattern runs in linear time on adversarial input, and every entry point refuses strings
 * longer than {@link MAX_FILTER_TEXT_LENGTH} (1 MiB) with a {@link FilterLimitError} instead of
 * passing them on unfiltered.
 */
export { redactText, redactToolResult } from './redact.js';
export type { RedactedText, RedactedToolResult, RedactionCounts, RedactionProfile } from './redact.js';
export { findCredentialValue, CREDENTIAL_VALUE_KINDS } from './credentials.js';
export { SECRET_KINDS, PERSONAL_DATA_KINDS } from './detectors.js';
export type { RedactionKind, SecretKind, PersonalDataKind } from './detectors.js';
export {
  createModerationProvider,
  LocalRulesModerationProvider,
  DEFAULT_MODERATION_RULES,
} from './moderation.js';
export type {
  ModerationConfig,
  ModerationProvider,
  ModerationRule,
  ModerationVerdict,
  LocalRulesModerationOptions,
} from './moderation.js';
export { BedrockGuardrailModerationProvider } from './bedrock-guardrail.js';
export type { BedrockGuardrailOptions, GuardrailRuntimeClient } from './bedrock-guardrail.js';
export {
  findInvisibleCharacter,
  findInstructionInjection,
  normalizeForMatching,
  INSTRUCTION_INJECTION_NAMES,
} from './injection.js';
export type { InvisibleCharacter } from './injection.js';
export { FilterLimitError, MAX_FILTER_TEXT_LENGTH, MAX_FILTER_DEPTH } from './limits.js';
export type { FilterLimitReason } from './limits.js';
