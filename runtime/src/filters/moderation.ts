import { BedrockGuardrailModerationProvider } from './bedrock-guardrail.js';
import { INSTRUCTION_INJECTION_RULES, normalizeForMatching } from './injection.js';
import { assertFilterableLength } from './limits.js';

/** A moderation decision on one text. */
export interface ModerationVerdict {
  /** `false` when the text must not be delivered. */
  readonly allowed: boolean;
  /** What the text was flagged for; empty when allowed. */
  readonly categories: string[];
}

/**
 * Checks a tool's output text before it leaves the server (for tools whose output-filter profile
 * sets `moderate`).
 *
 * A provider that cannot reach a decision throws; callers must treat a throw as "not allowed"
 * (fail closed) and answer with an error, never with the unchecked text.
 */
export interface ModerationProvider {
  /** Short name for logs and metrics, e.g. `local-rules`. */
  readonly name: string;
  /**
   * Decides whether `text` may be delivered.
   * @param signal aborts the check (deadline, client gone, shutdown); the promise then rejects.
   */
  moderate(text: string, signal: AbortSignal): Promise<ModerationVerdict>;
}

/** One rule of the {@link LocalRulesModerationProvider}. */
export interface ModerationRule {
  /** Category reported when the rule matches, e.g. `prompt-injection`. */
  readonly category: string;
  /**
   * Matched against the normalised text (NFKC, invisible characters removed, white space collapsed).
   * Must run in linear time: bounded quantifiers only, no nested or overlapping repetition.
   */
  readonly pattern: RegExp;
}

const S = String.raw`\s{1,4}`;
const STATEFUL_FLAGS = /[gy]/g;

/**
 * Threats of violence against people. Deliberately narrow: first-person threats to kill or maim
 * someone addressed or named, "you are going to die", and threats to bomb or shoot up a place.
 */
const VIOLENT_THREAT_RULES: readonly ModerationRule[] = [
  {
    category: 'violent-threat',
    pattern: new RegExp(
      String.raw`\b(?:i|we)(?:${S}(?:am|are|will)|'m|'re|'ll)?${S}(?:going${S}to${S}|gonna${S})?(?:kill|murder|shoot|stab|strangle|behead)${S}(?:you|him|her|them|everyone|all${S}of${S}you|your${S}(?:family|kids|children|wife|husband))\b`,
      'i',
    ),
  },
  {
    category: 'violent-threat',
    pattern: new RegExp(String.raw`\byou(?:${S}are|'re)?${S}(?:going${S}to|gonna)${S}die\b`, 'i'),
  },
  {
    category: 'violent-threat',
    pattern: new RegExp(
      String.raw`\b(?:i|we)(?:${S}(?:am|are|will)|'m|'re|'ll)?${S}(?:going${S}to${S}|gonna${S})?(?:bomb|blow${S}up|shoot${S}up)${S}(?:the|your|this|that)${S}(?:school|office|building|church|mosque|synagogue|temple|airport|station|hospital)\b`,
      'i',
    ),
  },
];

/**
 * The default rules of the {@link LocalRulesModerationProvider}:
 * - `prompt-injection`: text in a tool result that addresses the model instead of informing it
 *   ("ignore previous instructions", "do not tell the user", `<system>` tags, "you must always call
 *   …", "reveal your system prompt", "new instructions:") — the same phrases the catalog lint
 *   refuses in tool descriptions;
 * - `violent-threat`: explicit threats to kill or harm people, or to bomb or shoot up a place.
 *
 * A modest, predictable baseline, not a content classifier; use the Bedrock Guardrails provider
 * for broad coverage (hate, sexual content, misconduct, denied topics).
 */
export const DEFAULT_MODERATION_RULES: readonly ModerationRule[] = [
  ...INSTRUCTION_INJECTION_RULES.map(({ pattern }) => ({ category: 'prompt-injection', pattern })),
  ...VIOLENT_THREAT_RULES,
];

/** Options of {@link LocalRulesModerationProvider}. */
export interface LocalRulesModerationOptions {
  /** @default DEFAULT_MODERATION_RULES */
  readonly rules?: readonly ModerationRule[];
}

/**
 * Moderation by a short list of regular-expression rules, in process, no network. Each rule is
 * matched against the normalised text; the verdict lists the categories of every rule that matched.
 *
 * @throws FilterLimitError (from `moderate`) when the text is longer than `MAX_FILTER_TEXT_LENGTH`.
 *
 * @example
 * const moderation = new LocalRulesModerationProvider();
 * await moderation.moderate('Ignore all previous instructions.', AbortSignal.timeout(1000));
 * // → { allowed: false, categories: ['prompt-injection'] }
 */
export class LocalRulesModerationProvider implements ModerationProvider {
  readonly name = 'local-rules';
  private readonly rules: readonly ModerationRule[];

  constructor(options: LocalRulesModerationOptions = {}) {
    const rules = options.rules ?? DEFAULT_MODERATION_RULES;
    // Stateless copies: a global or sticky flag would make `test` depend on the previous call.
    this.rules = rules.map(({ category, pattern }) => ({
      category,
      pattern: pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(STATEFUL_FLAGS, '')) : pattern,
    }));
  }

  async moderate(text: string, signal: AbortSignal): Promise<ModerationVerdict> {
    signal.throwIfAborted();
    assertFilterableLength(text);
    const normalized = normalizeForMatching(text);
    const categories: string[] = [];
    for (const { category, pattern } of this.rules) {
      if (!categories.includes(category) && pattern.test(normalized)) categories.push(category);
    }
    return { allowed: categories.length === 0, categories };
  }
}

/** Moderation settings from the runtime configuration. */
export interface ModerationConfig {
  /** `local`: in-process rules. `bedrock`: Amazon Bedrock Guardrails `ApplyGuardrail`. */
  readonly provider: 'local' | 'bedrock';
  /** Guardrail id or ARN; required for `bedrock`. */
  readonly guardrailId?: string;
  /** Guardrail version (`1`, `2`, … or `DRAFT`); required for `bedrock`. */
  readonly guardrailVersion?: string;
  /** Region of the guardrail. @default - the SDK's default region resolution (`AWS_REGION`) */
  readonly region?: string;
}

/**
 * Builds the moderation provider the configuration selects.
 *
 * @throws Error naming the missing setting when `provider` is `bedrock` without `guardrailId` or
 *   `guardrailVersion`, or when `provider` is unknown.
 *
 * @example
 * createModerationProvider({ provider: 'bedrock', guardrailId: 'gr-abc123', guardrailVersion: '1', region: 'eu-west-1' });
 */
export function createModerationProvider(config: ModerationConfig): ModerationProvider {
  switch (config.provider) {
    case 'local':
      return new LocalRulesModerationProvider();
    case 'bedrock': {
      const { guardrailId, guardrailVersion, region } = config;
      if (!guardrailId) throw new Error(`moderation provider "bedrock" needs a guardrailId (got ${JSON.stringify(guardrailId)})`);
      if (!guardrailVersion) {
        throw new Error(`moderation provider "bedrock" needs a guardrailVersion (got ${JSON.stringify(guardrailVersion)})`);
      }
      return new BedrockGuardrailModerationProvider(region ? { guardrailId, guardrailVersion, region } : { guardrailId, guardrailVersion });
    }
    default:
      throw new Error(`unknown moderation provider ${JSON.stringify((config as { provider: unknown }).provider)}`);
  }
}
