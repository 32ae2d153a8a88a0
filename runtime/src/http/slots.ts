/**
 * The server's in-flight slots: a global cap and a per-principal share of it. A slot is taken when
 * a request is admitted and given back exactly once when it is over, whatever the socket did.
 * Entries exist only while requests are in flight, so nothing here grows with traffic.
 */
export class InFlightSlots {
  readonly #open = new Set<Slot>();
  readonly #perPrincipal = new Map<string, number>();
  #saturatedSince: number | undefined;

  constructor(
    readonly limit: number,
    readonly perPrincipalLimit: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** Takes a global slot, or returns `undefined` when all are taken. */
  open(): Slot | undefined {
    if (this.#open.size >= this.limit) return undefined;
    const slot = new Slot(this, this.now());
    this.#open.add(slot);
    if (this.#open.size >= this.limit) this.#saturatedSince ??= this.now();
    return slot;
  }

  /** Requests in flight. */
  get size(): number {
    return this.#open.size;
  }

  /** Principals with requests in flight (for leak checks). */
  get principals(): number {
    return this.#perPrincipal.size;
  }

  /** Milliseconds every slot has been taken without a pause, or 0 when one is free. */
  saturatedForMs(): number {
    return this.#saturatedSince === undefined ? 0 : this.now() - this.#saturatedSince;
  }

  /** Age in milliseconds of the oldest request in flight (0 when none). */
  oldestMs(): number {
    for (const slot of this.#open) return this.now() - slot.openedAt;
    return 0;
  }

  /** @internal */
  bind(principal: string): boolean {
    const current = this.#perPrincipal.get(principal) ?? 0;
    if (current >= this.perPrincipalLimit) return false;
    this.#perPrincipal.set(principal, current + 1);
    return true;
  }

  /** @internal */
  close(slot: Slot, principal: string | undefined): void {
    this.#open.delete(slot);
    if (this.#open.size < this.limit) this.#saturatedSince = undefined;
    if (principal === undefined) return;
    const left = (this.#perPrincipal.get(principal) ?? 1) - 1;
    if (left <= 0) this.#perPrincipal.delete(principal);
    else this.#perPrincipal.set(principal, left);
  }
}

/** One request's slot: bound to its principal once authenticated, released once. */
export class Slot {
  #principal: string | undefined;
  #released = false;

  constructor(
    private readonly slots: InFlightSlots,
    readonly openedAt: number,
  ) {}

  /** Counts this request against `principal`'s share; false (nothing counted) when the share is used up. */
  bindTo(principal: string): boolean {
    if (this.#released || this.#principal !== undefined) return true;
    if (!this.slots.bind(principal)) return false;
    this.#principal = principal;
    return true;
  }

  /** Gives the slot back; later calls do nothing. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.slots.close(this, this.#principal);
  }
}
