import {
  ApplyGuardrailCommand,
  BedrockRuntimeClient,
  type ApplyGuardrailCommandOutput,
  type GuardrailAssessment,
} from '@aws-sdk/client-bedrock-runtime';
import { assertFilterableLength } from './limits.js';
import type { ModerationProvider, ModerationVerdict } from './moderation.js';

/** The one operation the provider needs from a Bedrock runtime client. `BedrockRuntimeClient` fits. */
export interface GuardrailRuntimeClient {
  send(command: ApplyGuardrailCommand, options?: { abortSignal?: AbortSignal }): Promise<ApplyGuardrailCommandOutput>;
}

/** Options of {@link BedrockGuardrailModerationProvider}. */
export interface BedrockGuardrailOptions {
  /** Guardrail id or ARN. */
  readonly guardrailId: string;
  /** Guardrail version: a number as a string, or `DRAFT`. */
  readonly guardrailVersion: string;
  /** Region of the guardrail. @default - the SDK's default region resolution (`AWS_REGION`) */
  readonly region?: string;
  /** Client to send the request with. @default - a new `BedrockRuntimeClient` for `region` */
  readonly client?: GuardrailRuntimeClient;
}

/**
 * Moderation by an Amazon Bedrock guardrail through `ApplyGuardrail`, with the text as `OUTPUT`
 * content. The text is blocked when the guardrail answers `GUARDRAIL_INTERVENED`; the categories
 * name what it found (`content:VIOLENCE`, `topic:<name>`, `word:custom`, `pii:EMAIL`, `regex:<name>`,
 * `grounding:RELEVANCE`, or `guardrail` when the answer gives no detail).
 *
 * The task role needs `bedrock:ApplyGuardrail` on the guardrail. Service quotas on text units per
 * request apply; a request the service rejects makes `moderate` throw, which callers treat as
 * "not allowed".
 *
 * @throws Error from the constructor when `guardrailId` or `guardrailVersion` is empty.
 */
export class BedrockGuardrailModerationProvider implements ModerationProvider {
  readonly name = 'bedrock-guardrail';
  private readonly client: GuardrailRuntimeClient;
  private readonly guardrailId: string;
  private readonly guardrailVersion: string;

  constructor(options: BedrockGuardrailOptions) {
    if (!options.guardrailId) throw new Error(`guardrailId must not be empty (got ${JSON.stringify(options.guardrailId)})`);
    if (!options.guardrailVersion) {
      throw new Error(`guardrailVersion must not be empty (got ${JSON.stringify(options.guardrailVersion)})`);
    }
    this.guardrailId = options.guardrailId;
    this.guardrailVersion = options.guardrailVersion;
    this.client = options.client ?? new BedrockRuntimeClient(options.region ? { region: options.region } : {});
  }

  async moderate(text: string, signal: AbortSignal): Promise<ModerationVerdict> {
    signal.throwIfAborted();
    assertFilterableLength(text);
    if (text.length === 0) return { allowed: true, categories: [] };
    const output = await this.client.send(
      new ApplyGuardrailCommand({
        guardrailIdentifier: this.guardrailId,
        guardrailVersion: this.guardrailVersion,
        source: 'OUTPUT',
        content: [{ text: { text } }],
      }),
      { abortSignal: signal },
    );
    if (output.action !== 'GUARDRAIL_INTERVENED') return { allowed: true, categories: [] };
    const categories = categoriesOf(output.assessments ?? []);
    return { allowed: false, categories: categories.length > 0 ? categories : ['guardrail'] };
  }
}

function categoriesOf(assessments: readonly GuardrailAssessment[]): string[] {
  const found = new Set<string>();
  const add = (prefix: string, action: string | undefined, name: string | undefined): void => {
    if (action !== undefined && action !== 'NONE' && name) found.add(`${prefix}:${name}`);
  };
  for (const a of assessments) {
    for (const t of a.topicPolicy?.topics ?? []) add('topic', t.action, t.name);
    for (const f of a.contentPolicy?.filters ?? []) add('content', f.action, f.type);
    for (const w of a.wordPolicy?.customWords ?? []) add('word', w.action, 'custom');
    for (const w of a.wordPolicy?.managedWordLists ?? []) add('word', w.action, w.type);
    for (const p of a.sensitiveInformationPolicy?.piiEntities ?? []) add('pii', p.action, p.type);
    for (const r of a.sensitiveInformationPolicy?.regexes ?? []) add('regex', r.action, r.name);
    for (const g of a.contextualGroundingPolicy?.filters ?? []) add('grounding', g.action, g.type);
  }
  return [...found];
}
