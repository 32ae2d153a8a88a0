import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { isConditionalCheckFailed } from './client.js';
import { A, num, readIsoTime, readNumber, readString, str, type Item } from './items.js';
import { BoundedTtlCache } from './record-cache.js';
import { isLive, sessionsPk, slotOfSortKey } from './session-records.js';
import type { SessionOwner } from './store.js';
import type { TableCalls } from './table-calls.js';

/** What this instance knows of the session in one slot. */
export interface SlotOccupant {
  readonly idHash: string;
  readonly createdAt: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
}

/** A new session item built for the slot the ring chose, and what to remember of it. */
export interface PlacedItem {
  readonly item: Item;
  readonly occupant: SlotOccupant;
}

/** An owner's slots as this instance last saw them (index = slot; `undefined` = empty). */
type OwnerView = ReadonlyArray<SlotOccupant | undefined>;

/** Placement attempts before `createSession` gives up with a retryable error (contention on one owner). */
const MAX_PLACE_ATTEMPTS = 3;
/** Pages read when learning an owner's slots (each page holds up to 1 MB, far above any cap). */
const MAX_SLOT_PAGES = 10;

/**
 * The per-owner cap as a ring of `cap` slots: every session of an owner is the item in one of
 * its slots (`sessions#<owner digest>` / `slot#<k>`), so an owner never holds more than `cap`
 * session items, whatever races. A new session takes an empty or expired slot if there is one and
 * otherwise the slot of the owner's oldest live session (by creation time), in one conditional
 * `PutItem` whose condition checks that the slot still holds what this instance believes (the
 * occupant's id digest, and for an expired one that it is still expired): a session written or
 * revived by another instance in the meantime is never overwritten.
 *
 * What each instance believes is a short-lived, bounded view of the owner's slots: kept from its own
 * writes (so a client that reconnects costs one write), learned otherwise with one strongly
 * consistent `Query` of the owner's partition (two round trips). When the view was stale, the write
 * fails, the view is dropped and the placement runs again from a fresh read.
 */
export class OwnerSlots {
  readonly #views: BoundedTtlCache<OwnerView>;

  constructor(
    private readonly calls: TableCalls,
    private readonly cap: number,
    viewTtlMs: number,
    maxViews: number,
    private readonly clock: () => number,
  ) {
    this.#views = new BoundedTtlCache<OwnerView>(maxViews, viewTtlMs, clock);
  }

  /**
   * Writes the item `build(slot)` returns into the slot the ring chooses for a new session of `owner`.
   *
   * @throws SessionStoreUnavailableError when the store does not answer, or when other writers keep
   * taking the chosen slot (after three attempts; the client may retry).
   */
  async place(owner: SessionOwner, build: (slot: number) => PlacedItem): Promise<{ slot: number; placed: PlacedItem }> {
    const pk = sessionsPk(owner);
    for (let attempt = 0; attempt < MAX_PLACE_ATTEMPTS; attempt += 1) {
      const view = this.#views.get(pk) ?? (await this.#read(pk));
      const now = this.clock();
      const { slot, occupant } = chooseSlot(view, this.cap, now);
      const placed = build(slot);
      try {
        await this.calls.call('PutItem', (abortSignal) =>
          this.calls.client.send(new PutItemCommand({ TableName: this.calls.table, Item: placed.item, ...slotCondition(occupant, now) }), {
            abortSignal,
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        // Another instance changed this slot since the view was taken: read the owner's slots again.
        this.#views.delete(pk);
        continue;
      }
      this.#remember(pk, view, slot, placed.occupant);
      return { slot, placed };
    }
    throw this.calls.unavailable('PutItem', 'throttled');
  }

  /** Records a touch made by this instance (a later expiry of the session in `slot`). */
  touched(owner: SessionOwner, slot: number, idHash: string, idleExpiresAt: number): void {
    const pk = sessionsPk(owner);
    const view = this.#views.get(pk);
    const current = view?.[slot];
    if (view === undefined || current?.idHash !== idHash) return;
    this.#remember(pk, view, slot, { ...current, idleExpiresAt });
  }

  /** Records that the session in `slot` was deleted by this instance. */
  emptied(owner: SessionOwner, slot: number): void {
    const pk = sessionsPk(owner);
    const view = this.#views.get(pk);
    if (view !== undefined) this.#remember(pk, view, slot, undefined);
  }

  /** Forgets every view. */
  clear(): void {
    this.#views.clear();
  }

  #remember(pk: string, view: OwnerView, slot: number, occupant: SlotOccupant | undefined): void {
    const next = [...view];
    next[slot] = occupant;
    this.#views.set(pk, next);
  }

  /** The owner's slots from the table: one strongly consistent query of the owner's partition. */
  async #read(pk: string): Promise<OwnerView> {
    const view: Array<SlotOccupant | undefined> = Array.from({ length: this.cap }, () => undefined);
    let startKey: Item | undefined;
    let pages = 0;
    do {
      const exclusiveStartKey = startKey;
      const page = await this.calls.call('Query', (abortSignal) =>
        this.calls.client.send(
          new QueryCommand({
            TableName: this.calls.table,
            KeyConditionExpression: '#pk = :pk',
            ProjectionExpression: '#sk, #h, #created, #idle, #absolute',
            ExpressionAttributeNames: {
              '#pk': A.pk,
              '#sk': A.sk,
              '#h': A.idHash,
              '#created': A.createdAt,
              '#idle': A.idleExpiresAt,
              '#absolute': A.absoluteExpiresAt,
            },
            ExpressionAttributeValues: { ':pk': str(pk) },
            ConsistentRead: true,
            ExclusiveStartKey: exclusiveStartKey,
          }),
          { abortSignal },
        ),
      );
      for (const item of page.Items ?? []) {
        const slot = slotOfSortKey(readString(item, A.sk));
        const idHash = readString(item, A.idHash);
        const createdAt = readIsoTime(item, A.createdAt);
        const idleExpiresAt = readNumber(item, A.idleExpiresAt);
        const absoluteExpiresAt = readNumber(item, A.absoluteExpiresAt);
        // Slots beyond the cap (left by a larger cap before) are never chosen; they expire unread.
        if (slot === undefined || slot >= this.cap || idHash === undefined) continue;
        // A malformed occupant counts as expired, so its slot is reused first.
        view[slot] = { idHash, createdAt: createdAt ?? 0, idleExpiresAt: idleExpiresAt ?? 0, absoluteExpiresAt: absoluteExpiresAt ?? 0 };
      }
      startKey = page.LastEvaluatedKey;
      pages += 1;
    } while (startKey !== undefined && pages < MAX_SLOT_PAGES);
    return view;
  }
}

/**
 * The slot a new session takes: the first empty or expired one, else the one holding the oldest
 * live session (earliest creation, then lowest slot).
 */
export function chooseSlot(view: OwnerView, cap: number, now: number): { slot: number; occupant: SlotOccupant | undefined } {
  let oldest = -1;
  for (let slot = 0; slot < cap; slot += 1) {
    const occupant = view[slot];
    if (occupant === undefined || !isLive(occupant, now)) return { slot, occupant };
    if (oldest < 0 || occupant.createdAt < view[oldest]!.createdAt) oldest = slot;
  }
  return { slot: oldest, occupant: view[oldest] };
}

/** The write's condition: the slot holds exactly what the view says (or nothing any more). */
function slotCondition(
  occupant: SlotOccupant | undefined,
  now: number,
): { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Item } {
  if (occupant === undefined) {
    return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': A.pk } };
  }
  if (isLive(occupant, now)) {
    return {
      ConditionExpression: 'attribute_not_exists(#pk) OR #h = :h',
      ExpressionAttributeNames: { '#pk': A.pk, '#h': A.idHash },
      ExpressionAttributeValues: { ':h': str(occupant.idHash) },
    };
  }
  // An expired occupant in this view may have been touched since by another instance; it is only
  // replaced while it is still expired in the table.
  return {
    ConditionExpression: 'attribute_not_exists(#pk) OR (#h = :h AND (#idle <= :now OR #absolute <= :now))',
    ExpressionAttributeNames: { '#pk': A.pk, '#h': A.idHash, '#idle': A.idleExpiresAt, '#absolute': A.absoluteExpiresAt },
    ExpressionAttributeValues: { ':h': str(occupant.idHash), ':now': num(now) },
  };
}
