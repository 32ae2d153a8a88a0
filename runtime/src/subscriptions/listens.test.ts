import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ListenSlots, releasingWhenDone } from './listens.js';

describe('ListenSlots', () => {
  test('bounds each owner and counts every stream back to zero however it ends', async () => {
    const slots = new ListenSlots(2);
    const first = slots.acquire('alice')!;
    const second = slots.acquire('alice')!;
    assert.equal(slots.acquire('alice'), undefined, 'alice holds both of her slots');
    assert.ok(slots.acquire('bob'), 'bob has his own');
    assert.equal(slots.count(), 3);

    // A stream read to its end, and one cancelled by its consumer (the client went away).
    const ended = releasingWhenDone(new Response('event: message\ndata: {}\n\n'), first);
    await ended.text();
    const cancelled = releasingWhenDone(new Response(new ReadableStream({ pull: () => undefined })), second);
    await cancelled.body!.cancel();
    second();
    assert.equal(slots.count('alice'), 0, 'released once each, however often called');
    assert.equal(slots.count(), 1);
  });
});
