/** `subscriptions/listen` (2026-07-28): per-principal bounds on open listen streams and their release. */
export { ListenSlots, MAX_LISTENS_PER_PRINCIPAL, releasingWhenDone } from './listens.js';
