import { CLIENT_CAPABILITIES_META_KEY, ProtocolError, ProtocolErrorCode, type ClientCapabilities, type ServerContext } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/principal.js';
import { PublicError } from '../errors/index.js';
import { ownerDigest } from '../session/ids.js';
import { argumentsDigest, RequestStateRefused, type RequestStateCodec, type StateBinding, type StateClaims } from './codec.js';
import type { InputKind } from '../tools/definition.js';
import type { RequestStateLedger } from './ledger.js';

export type { InputKind };

/** The JSON-RPC method of each input kind, as it appears in `inputRequests`. */
export const INPUT_METHODS: Readonly<Record<string, InputKind>> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/** The methods whose results may be `input_required` (protocol revision 2026-07-28). */
export type RoundMethod = 'tools/call' | 'prompts/get' | 'resources/read';

/**
 * The SDK's own answer to a `requestState` it refuses (the frozen `-32602`), given by the kit in the
 * same words for every refusal after the SDK's verify hook: foreign request, replay, store failure.
 * Nothing of the state or the request is echoed.
 */
export function invalidRequestState(): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid or expired requestState', { reason: 'invalid_request_state' });
}

/** One round of a multi round-trip request, as a handler sees it. */
export interface InputRound {
  /** The client's answers to the previous round's input requests (untrusted), or `undefined`. */
  readonly responses: Readonly<Record<string, unknown>> | undefined;
  /** The verified state the previous round sealed, or `undefined` on a first round. */
  readonly claims: StateClaims | undefined;
  /** Whether the client declared, for this request, that it can answer input of `kind`. */
  canAsk(kind: InputKind): boolean;
  /**
   * Seals a new `requestState` for the next round, bound to this caller and request.
   *
   * @throws PublicError `too_many_pending` when the caller has too many rounds pending, `internal` when no key is configured
   */
  seal(payload: unknown, confirmation?: 'asked' | 'given'): Promise<string>;
  /** Whether `state` was sealed by this round (a handler may return no other). */
  issued(state: unknown): boolean;
}

export interface InputRoundsOptions {
  /** The AEAD codec; without it, every echoed state is refused and none can be sealed. */
  readonly codec?: RequestStateCodec;
  readonly ledger: RequestStateLedger;
  /** Called with the fixed reason whenever a state is refused (for the log and metrics). */
  readonly onRefused?: (reason: string) => void;
}

/** Seals, verifies and consumes request states for the MCP handlers. */
export interface InputRounds {
  /** The `ServerOptions.requestState.verify` hook for a request of `principal`: opens the state and checks caller, method and expiry. */
  verifier(principal: Principal): (state: string, ctx: ServerContext) => Promise<StateClaims>;
  /**
   * Starts a round: checks the verified state (if any) against this request's name and arguments and
   * consumes it, so it is used once, on any instance.
   *
   * @param declared - the client capabilities of a 2025-era connection (the 2026 envelope is read from `ctx`)
   * @throws ProtocolError the frozen `-32602` for a foreign-request or replayed state, or when the ledger cannot answer
   */
  begin(principal: Principal, ctx: ServerContext, method: RoundMethod, name: string, args: unknown, declared?: () => ClientCapabilities | undefined): Promise<InputRound>;
}

function bindingOf(principal: Principal): Pick<StateBinding, 'own' | 'cid'> {
  return { own: ownerDigest(principal.issuer, principal.subject), cid: principal.clientId };
}

function capabilitiesOf(ctx: ServerContext, declared: (() => ClientCapabilities | undefined) | undefined): ClientCapabilities | undefined {
  // The SDK types the envelope as an open record; its client capabilities were schema-checked on the way in.
  const envelope = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
  return envelope ?? declared?.();
}

/** The multi round-trip state machinery: verify hook, binding check, single use, sealing with a per-principal bound. */
export function createInputRounds(options: InputRoundsOptions): InputRounds {
  const { codec, ledger } = options;
  const refuse = (reason: string): never => {
    options.onRefused?.(reason);
    throw invalidRequestState();
  };

  return {
    verifier(principal) {
      const binding = bindingOf(principal);
      return async (state, ctx) => {
        if (!codec) throw new RequestStateRefused('key');
        try {
          return await codec.open(state, { ...binding, m: ctx.mcpReq.method });
        } catch (error) {
          options.onRefused?.(error instanceof RequestStateRefused ? error.reason : 'malformed');
          throw error;
        }
      };
    },

    async begin(principal, ctx, method, name, args, declared) {
      const binding = { ...bindingOf(principal), m: method, n: name, d: argumentsDigest(args) };
      const verified = ctx.mcpReq.requestState<StateClaims>();
      let claims: StateClaims | undefined;
      if (verified !== undefined) {
        // The verify hook ran before the handler; without a codec there is no verified state at all.
        if (!codec || typeof verified !== 'object' || verified === null) return refuse('malformed');
        if (verified.n !== binding.n || verified.d !== binding.d || verified.m !== method) return refuse('binding');
        let first: boolean;
        try {
          first = await ledger.consume(verified.id, verified.exp);
        } catch {
          return refuse('ledger_unavailable');
        }
        if (!first) return refuse('replayed');
        claims = verified;
      }
      const issued = new Set<string>();
      const responses = ctx.mcpReq.inputResponses;
      return {
        responses: responses && Object.keys(responses).length > 0 ? responses : undefined,
        claims,
        canAsk: (kind) => {
          const capabilities = capabilitiesOf(ctx, declared);
          return capabilities !== undefined && typeof capabilities[kind] === 'object' && capabilities[kind] !== null;
        },
        async seal(payload, confirmation) {
          if (!codec) throw new PublicError('internal', [], { cause: new Error('no request-state key is configured (MCP_REQUEST_STATE_KEY)') });
          let admitted: boolean;
          try {
            admitted = await ledger.admitMint(binding.own);
          } catch (error) {
            throw new PublicError('unavailable', [], { cause: error });
          }
          if (!admitted) throw new PublicError('too_many_pending');
          let sealed: { state: string };
          try {
            sealed = await codec.seal({ ...binding, ...(confirmation ? { c: confirmation } : {}), ...(payload !== undefined ? { p: payload } : {}) });
          } catch (error) {
            throw new PublicError('internal', [], { cause: error });
          }
          issued.add(sealed.state);
          return sealed.state;
        },
        issued: (state) => typeof state === 'string' && issued.has(state),
      };
    },
  };
}
