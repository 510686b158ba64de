/**
 * Engine: starting on a store that already holds state (a FileStore opened
 * after a restart). Restored outgoing entries keep their ids and order and
 * are resent with DUP when the broker kept the session, published again as
 * new messages when it did not, always ahead of the queue; incoming QoS 2 ids
 * keep a redelivered PUBLISH from being delivered twice; the restored
 * messages' outcome (their promises died with the old process) shows as
 * events, and a closing client keeps them.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Packet, PublishPacket } from '../../src/codec/types.js';
import type { EngineOptions } from '../../src/engine/types.js';
import { FileStore } from '../../src/store/file.js';
import { MemoryStore } from '../../src/store/memory.js';
import { bytesOf, EngineHarness } from '../helpers/engine-harness.js';
import { stateOf } from '../helpers/store-ops.js';

function publish(topic: string, qos: 0 | 1 | 2, packetId?: number): PublishPacket {
  const p: PublishPacket = { type: 'publish', topic, payload: bytesOf(`payload of ${topic}`), qos, retain: false, dup: false };
  if (packetId !== undefined) p.packetId = packetId;
  return p;
}

/** What a store holds after a process died mid-stream: three exchanges in flight (one past PUBREC), two queued, one incoming. */
function restoredStore(): MemoryStore {
  const store = new MemoryStore();
  store.putOutgoing({ packetId: 10, phase: 'publish', packet: publish('in-flight/a', 1, 10) });
  store.putOutgoing({ packetId: 12, phase: 'publish', packet: publish('in-flight/c', 2, 12) });
  store.putOutgoing({ packetId: 11, phase: 'publish', packet: publish('in-flight/b', 2, 11) });
  store.putOutgoing({ packetId: 12, phase: 'pubrel', packet: publish('in-flight/c', 2, 12) });
  store.enqueue(publish('queued/1', 1));
  store.enqueue(publish('queued/2', 0));
  store.addIncoming(5);
  return store;
}

function restarted(store: MemoryStore | FileStore, options: EngineOptions = {}): EngineHarness {
  return new EngineHarness({ clientId: 'device', clean: false, random: () => 0, store, ...options });
}

/** The packets after CONNECT, as [type, id, dup, topic] rows. */
function rows(packets: Packet[]): (string | number | boolean | undefined)[][] {
  return packets.map((p) =>
    p.type === 'publish' ? ['publish', p.packetId, p.dup, p.topic] : p.type === 'pubrel' ? ['pubrel', p.packetId] : [p.type],
  );
}

describe('engine: restart on a non-empty store', () => {
  it('counts the restored state before connecting: in flight and queued', () => {
    const h = restarted(restoredStore());
    expect(h.engine.inFlightCount).toBe(3);
    expect(h.engine.queuedCount).toBe(2);
  });

  it('session present: PUBLISHes resent with DUP=1 and their stored ids in stored order, PUBREL as PUBREL, then the queue [MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-4.6.0-1]', () => {
    const h = restarted(restoredStore());
    h.connectAccepted(undefined, true);
    const sent = h.takeSent();
    expect(rows(sent)).toEqual([
      ['publish', 10, true, 'in-flight/a'],
      ['publish', 11, true, 'in-flight/b'],
      ['pubrel', 12],
      ['publish', 1, false, 'queued/1'],
      ['publish', undefined, false, 'queued/2'],
    ]);
    expect((sent[0] as PublishPacket).payload).toEqual(bytesOf('payload of in-flight/a'));
  });

  it('restored ids stay claimed: new publishes take other ids [MQTT-2.2.1-3]', () => {
    const store = new MemoryStore();
    for (const id of [1, 2, 3]) store.putOutgoing({ packetId: id, phase: 'publish', packet: publish(`old/${id}`, 1, id) });
    const h = restarted(store);
    h.connectAccepted(undefined, true);
    h.takeSent();
    h.publish('new/1', 'x', { qos: 1 });
    h.publish('new/2', 'x', { qos: 2 });
    expect(rows(h.takeSent())).toEqual([
      ['publish', 4, false, 'new/1'],
      ['publish', 5, false, 'new/2'],
    ]);
  });

  it("session present: no more restored exchanges open than the broker's Receive Maximum; the rest follow acks [MQTT-4.9.0-2]", () => {
    const h = restarted(restoredStore());
    h.connectAccepted({ receiveMaximum: 1 }, true);
    // The PUBREL finishes an exchange already counted; it is sent, and holds the one slot until PUBCOMP.
    expect(rows(h.takeSent())).toEqual([
      ['publish', 10, true, 'in-flight/a'],
      ['pubrel', 12],
    ]);
    h.brokerSends({ type: 'puback', packetId: 10 });
    expect(h.takeSent()).toEqual([]);
    h.brokerSends({ type: 'pubcomp', packetId: 12 });
    expect(rows(h.takeSent())).toEqual([['publish', 11, true, 'in-flight/b']]);
  });

  it('session lost: restored PUBLISHes go out again as new messages (DUP=0, new ids) ahead of the queue; PUBREL exchanges count as done', () => {
    const store = restoredStore();
    const h = restarted(store);
    h.connectAccepted(undefined, false);
    expect(rows(h.takeSent())).toEqual([
      ['publish', 1, false, 'in-flight/a'],
      ['publish', 2, false, 'in-flight/b'],
      ['publish', 3, false, 'queued/1'],
      ['publish', undefined, false, 'queued/2'],
    ]);
    // The broker forgot the incoming QoS 2 exchange too.
    expect(store.hasIncoming(5)).toBe(false);
  });

  it('the restored exchanges complete without a caller and leave the store empty; nothing is settled or failed', () => {
    const store = restoredStore();
    const h = restarted(store);
    h.connectAccepted(undefined, true);
    h.takeSent();
    h.brokerSends({ type: 'puback', packetId: 10 });
    h.brokerSends({ type: 'pubrec', packetId: 11 });
    expect(h.expectSent('pubrel').packetId).toBe(11);
    h.brokerSends({ type: 'pubcomp', packetId: 11 });
    h.brokerSends({ type: 'pubcomp', packetId: 12 });
    h.brokerSends({ type: 'puback', packetId: 1 });
    expect(store.outgoingCount).toBe(0);
    expect(store.queuedCount).toBe(0);
    expect(h.settled.size + h.failed.size).toBe(0);
    expect(h.eventsOf('error')).toEqual([]);
  });

  it("a restored publish the broker refuses (PUBACK 0x87) is reported as an 'error' event with the reason code", () => {
    const h = restarted(restoredStore());
    h.connectAccepted(undefined, true);
    h.brokerSends({ type: 'puback', packetId: 10, reasonCode: 0x87 });
    const errors = h.eventsOf('error');
    expect(errors).toHaveLength(1);
    expect(errors[0].error).toMatchObject({ code: 'MQTTKIT_ERR_NOT_AUTHORIZED', reasonCode: 0x87 });
  });

  it('a restored QoS 2 publish the broker can no longer take (Maximum QoS 1) is reported as an error event, not dropped silently', () => {
    const store = new MemoryStore();
    store.enqueue(publish('queued/qos2', 2));
    const h = restarted(store);
    h.connectAccepted({ maximumQoS: 1 }, true);
    expect(h.eventsOf('error').map((e) => e.error.code)).toEqual(['MQTTKIT_ERR_NOT_SUPPORTED']);
  });

  it('incoming QoS 2 ids are kept: a redelivered PUBLISH is answered with PUBREC and not delivered again [MQTT-4.3.3-10]; PUBREL gets PUBCOMP [MQTT-4.3.3-11]', () => {
    const store = restoredStore();
    const h = restarted(store);
    h.connectAccepted(undefined, true);
    h.takeSent();
    h.brokerSends({ ...publish('to/me', 2, 5), dup: true });
    expect(h.delivered).toEqual([]);
    expect(h.expectSent('pubrec').packetId).toBe(5);
    h.brokerSends({ type: 'pubrel', packetId: 5 });
    expect(h.expectSent('pubcomp')).toMatchObject({ packetId: 5 });
    expect(store.hasIncoming(5)).toBe(false);
    // Released: the same id is a new message now [MQTT-4.3.3-12].
    h.brokerSends(publish('to/me', 2, 5));
    expect(h.delivered.map((m) => m.topic)).toEqual(['to/me']);
  });

  it("end() before connecting fails the caller's own queued publishes and removes them, but keeps the restored ones in the store", () => {
    const store = restoredStore();
    const h = restarted(store);
    const own = h.publish('own/1', 'mine', { qos: 1 });
    h.end();
    expect(h.failed.get(own)?.code).toBe('MQTTKIT_ERR_CLIENT_CLOSED');
    expect([...store.queued()].map((p) => p.topic)).toEqual(['queued/1', 'queued/2']);
    expect(store.outgoingCount).toBe(3);
  });

  it('end to end with a FileStore: what one engine left on disk, the next resends the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqttkit-restore-'));
    try {
      const first = await FileStore.open(join(dir, 'a.db'), { fsync: 'never' });
      const a = restarted(first);
      a.connectAccepted(undefined, false);
      a.publish('t/1', 'one', { qos: 1 });
      a.publish('t/2', 'two', { qos: 2 });
      a.publish('t/3', 'three', { qos: 2 });
      a.brokerSends({ type: 'pubrec', packetId: 3 });
      a.brokerSends(publish('incoming', 2, 77));
      a.transportClosed(new Error('reset'));
      a.publish('t/4', 'four', { qos: 1 });
      // The process dies here: the disk holds what was committed (a copy stands for it; the first store keeps its lock).
      first.commit();
      copyFileSync(join(dir, 'a.db'), join(dir, 'b.db'));
      await first.close();

      const second = await FileStore.open(join(dir, 'b.db'), { fsync: 'never' });
      expect(second.restored).toMatchObject({ outgoing: 3, incoming: 1, queued: 1, droppedBytes: 0 });
      expect(stateOf(second)).toEqual(stateOf(first));
      const b = restarted(second);
      b.connectAccepted(undefined, true);
      expect(rows(b.takeSent())).toEqual([
        ['publish', 1, true, 't/1'],
        ['publish', 2, true, 't/2'],
        ['pubrel', 3],
        ['publish', 4, false, 't/4'],
      ]);
      b.brokerSends({ ...publish('incoming', 2, 77), dup: true });
      expect(b.delivered).toEqual([]);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
