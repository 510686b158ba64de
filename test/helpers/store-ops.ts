/**
 * Store tests' shared tools: a deterministic stream of Store operations shaped
 * like the Outbox's and Inbox's use of a store (for model checks and crash
 * tests, where a child process and the test must produce the very same
 * stream), and a plain-data view of a store's state to compare stores with.
 */
import type { PublishPacket, PublishProperties } from '../../src/codec/types.js';
import type { OutgoingEntry, Store } from '../../src/store/types.js';
import { hex } from './bytes.js';

/** A Store that can also list its incoming ids and its queue (MemoryStore and FileStore can). */
export type InspectableStore = Store & { incoming(): Iterable<number>; queued(): Iterable<PublishPacket> };

export interface PlainPacket {
  topic: string;
  qos: number;
  retain: boolean;
  payload: string;
  packetId?: number;
  properties?: PublishProperties;
}

export interface PlainState {
  outgoing: [number, OutgoingEntry['phase'], PlainPacket][];
  incoming: number[];
  queue: PlainPacket[];
}

function plain(p: PublishPacket): PlainPacket {
  const out: PlainPacket = { topic: p.topic, qos: p.qos, retain: p.retain, payload: hex(p.payload) };
  if (p.packetId !== undefined) out.packetId = p.packetId;
  if (p.properties !== undefined) out.properties = p.properties;
  return out;
}

/** The state of a store as plain data, in the store's own order. */
export function stateOf(store: InspectableStore): PlainState {
  return {
    outgoing: [...store.outgoing()].map((e): [number, OutgoingEntry['phase'], PlainPacket] => [e.packetId, e.phase, plain(e.packet)]),
    incoming: [...store.incoming()],
    queue: [...store.queued()].map(plain),
  };
}

const text = new TextEncoder();

/** A publish for the stream: every few carry MQTT 5 properties, sizes vary from empty to a few hundred bytes. */
export function streamPacket(n: number, qos: 0 | 1 | 2): PublishPacket {
  const p: PublishPacket = {
    type: 'publish',
    topic: `stream/${n % 7}`,
    payload: text.encode(`m${n}:${'x'.repeat((n * 37) % 300)}`),
    qos,
    retain: n % 11 === 0,
    dup: false,
  };
  if (n % 5 === 0) p.properties = { userProperties: [['n', String(n)]], contentType: 'text/plain', messageExpiryInterval: 3600 };
  if (n % 13 === 0) p.payload = new Uint8Array(0);
  return p;
}

/**
 * Applies operation number `n` of the stream to `store`. What it does depends
 * only on `n`, `random` and the store's state, so two stores in the same state
 * fed the same numbers and random values end in the same state. Sizes stay
 * bounded (about 40 in flight, 40 queued) however long the stream runs.
 */
export function applyStreamOp(store: InspectableStore, n: number, random: () => number): void {
  const r = random();
  const outgoing = [...store.outgoing()];
  if (r < 0.2 && store.queuedCount < 40) {
    store.enqueue(streamPacket(n, ([0, 1, 2] as const)[n % 3]));
  } else if (r < 0.25 && store.queuedCount < 40) {
    store.requeue(streamPacket(n, 1));
  } else if (r < 0.4 && store.queuedCount > 0) {
    // Dequeued for sending: QoS 1/2 get an id and become outgoing, as the Outbox does.
    const p = store.dequeue() as PublishPacket;
    if (p.qos > 0) {
      let id = 1 + Math.floor(random() * 65_535);
      while (store.getOutgoing(id) !== undefined) id = id === 65_535 ? 1 : id + 1;
      p.packetId = id;
      store.putOutgoing({ packetId: id, phase: 'publish', packet: p });
    }
  } else if (r < 0.55 && outgoing.length < 40) {
    let id = 1 + (n % 65_535);
    while (store.getOutgoing(id) !== undefined) id = id === 65_535 ? 1 : id + 1;
    const p = streamPacket(n, n % 2 === 0 ? 1 : 2);
    p.packetId = id;
    store.putOutgoing({ packetId: id, phase: 'publish', packet: p });
  } else if (r < 0.65 && outgoing.length > 0) {
    const entry = outgoing[Math.floor(random() * outgoing.length)];
    if (entry.packet.qos === 2 && entry.phase === 'publish') store.putOutgoing({ ...entry, phase: 'pubrel' });
    else store.deleteOutgoing(entry.packetId);
  } else if (r < 0.8 && outgoing.length > 0) {
    store.deleteOutgoing(outgoing[0].packetId);
  } else if (r < 0.88) {
    const id = 1 + Math.floor(random() * 200);
    if (store.hasIncoming(id)) store.deleteIncoming(id);
    else if (store.incomingCount < 40) store.addIncoming(id);
  } else if (r < 0.93 && store.queuedCount > 0) {
    const queue = [...store.queued()];
    store.removeQueued(queue[Math.floor(random() * queue.length)]);
  } else if (r < 0.94) {
    store.clearSession();
  } else if (store.queuedCount > 0) {
    store.dequeue();
  }
}
