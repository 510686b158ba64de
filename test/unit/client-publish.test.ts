import { describe, expect, it } from 'vitest';
import { Decoder, encode, type Packet } from '../../src/codec/index.js';
import { connect, createClient, type TransportFactory } from '../../src/index.js';

/** A transport that answers CONNECT with CONNACK and records every write, in memory. */
function fakeBroker() {
  const writes: Uint8Array[][] = [];
  const sent: Packet[] = [];
  const decoder = new Decoder({ protocolVersion: 5 });
  const factory: TransportFactory = async (_options, handlers) => ({
    encrypted: false,
    write(chunks) {
      writes.push([...chunks]);
      for (const c of chunks) {
        for (const p of decoder.push(c)) {
          sent.push(p);
          if (p.type === 'connect')
            queueMicrotask(() => handlers.onData(encode({ type: 'connack', sessionPresent: false, reasonCode: 0 }, 5)));
        }
      }
      return true;
    },
    end() {},
    destroy() {},
  });
  return { factory, writes, sent };
}

describe('client publish', () => {
  it('QoS 0 resolves only once its bytes were handed to the transport, and a burst is one write', async () => {
    const broker = fakeBroker();
    const client = createClient('mqtt://broker', { transport: broker.factory });
    await new Promise<void>((resolve) => {
      client.on('connect', () => resolve());
      client.start();
    });
    const before = broker.writes.length;
    let resolved = 0;
    const all = Array.from({ length: 100 }, (_, i) => client.publish('t', `m${i}`).then(() => resolved++));
    expect(resolved).toBe(0);
    expect(broker.writes.length).toBe(before); // nothing written synchronously: batched
    await Promise.all(all);
    expect(resolved).toBe(100);
    expect(broker.writes.length).toBe(before + 1); // 100 PUBLISH packets, one transport write
    const publishes = broker.sent.filter((p) => p.type === 'publish');
    expect(publishes.map((p) => (p.type === 'publish' ? new TextDecoder().decode(p.payload) : ''))).toEqual(
      Array.from({ length: 100 }, (_, i) => `m${i}`),
    );
    await client.end({ force: true });
  });

  it('a QoS 0 publish refused by validation rejects at once with the field named, and nothing is written', async () => {
    const broker = fakeBroker();
    const client = createClient('mqtt://broker', { transport: broker.factory });
    await new Promise<void>((resolve) => {
      client.on('connect', () => resolve());
      client.start();
    });
    const before = broker.sent.length;
    await expect(client.publish('a/#', 'x')).rejects.toMatchObject({ code: 'MQTTKIT_ERR_INVALID_ARGUMENT', field: 'topic' });
    await new Promise((r) => setTimeout(r, 5));
    expect(broker.sent.length).toBe(before);
    await client.end({ force: true });
  });

  it('connect() with an AbortSignal: aborting while the transport opens rejects with MQTTKIT_ERR_ABORTED and stops the client', async () => {
    let attempts = 0;
    const never: TransportFactory = (options) =>
      new Promise((_resolve, reject) => {
        attempts++;
        options.signal?.addEventListener('abort', () => reject(new Error('aborted')));
      });
    const controller = new AbortController();
    const pending = connect('mqtt://broker', { transport: never, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(pending).rejects.toMatchObject({ code: 'MQTTKIT_ERR_ABORTED' });
    await new Promise((r) => setTimeout(r, 20));
    expect(attempts).toBe(1); // no reconnect after the abort
    await expect(connect('mqtt://broker', { transport: never, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'MQTTKIT_ERR_ABORTED',
    });
  });
});
