import { inputRequired, inputResponse, type InputRequest } from '@modelcontextprotocol/server';
import { z } from 'zod';

/**
 * The platform's confirmation of a tool declared `confirm: true`: before the handler runs, the
 * user is asked by elicitation (a form with one boolean, naming the tool and what it does). The
 * handler runs only on an accepted form whose `confirm` is `true`; a decline, a cancel, an unchecked
 * box or an answer of another shape runs nothing. A client that cannot elicit is refused by the
 * SDK's capability gate (`-32021`) before anything runs: the confirmation fails closed.
 */

/** The key of the platform's confirmation in `inputRequests` / `inputResponses`; no handler may use it. */
export const CONFIRM_KEY = 'platform_confirmation';

/** What the form asks for; the answer is untrusted and parsed strictly. */
const confirmation = z.strictObject({ confirm: z.boolean() });

/** What the tool declares about itself, for the question. */
export interface ConfirmSubject {
  readonly name: string;
  readonly title: string;
  readonly description: string;
}

/** The elicitation the platform sends for `tool`. */
export function confirmationRequest(tool: ConfirmSubject): InputRequest {
  return inputRequired.elicit({
    message: `Confirm before it runs: "${tool.title}" (${tool.name}). ${tool.description} Nothing is done unless you confirm.`,
    requestedSchema: {
      type: 'object',
      properties: {
        confirm: { type: 'boolean', title: `Run "${tool.title}"`, description: 'Check to let the tool run now.' },
      },
      required: ['confirm'],
    },
  });
}

/**
 * The user's answer in `responses`: `confirmed` only for an accepted form whose `confirm` is
 * exactly `true`; `declined` for a decline, a cancel or anything else answered; `missing` when
 * there is no answer under {@link CONFIRM_KEY} (the question is asked again).
 */
export function confirmationAnswer(responses: Readonly<Record<string, unknown>> | undefined): 'confirmed' | 'declined' | 'missing' {
  if (!responses || !Object.hasOwn(responses, CONFIRM_KEY)) return 'missing';
  const view = inputResponse(responses, CONFIRM_KEY);
  if (view.kind !== 'elicit' || view.action !== 'accept') return 'declined';
  const parsed = confirmation.safeParse(view.content);
  return parsed.success && parsed.data.confirm ? 'confirmed' : 'declined';
}

/** The result of a call the user did not confirm: clear, and nothing was run. */
export function declinedResult(tool: ConfirmSubject): { content: [{ type: 'text'; text: string }]; isError: true } {
  return { content: [{ type: 'text', text: `Not run: "${tool.title}" needs your confirmation, which was not given. Nothing was changed.` }], isError: true };
}
