import { describe, expect, it } from 'vitest';
import { Decoder, encode, type PublishPacket } from '../../src/codec/index.js';

const publish = (topic: string): PublishPacket => ({
  type: 'publish',
  topic,
  payload: new Uint8Array([1]),
  qos: 0,
  retain: false,
  dup: false,
});

describe('decoded strings', () => {
  it('stay right when the receive buffer is reused for other topics (the string cache copies what it keeps)', () => {
    // Same-length topics through one buffer that is overwritten each time, as a socket's pooled buffer may be.
    const shared = Buffer.alloc(64);
    const decoder = new Decoder({ protocolVersion: 4 });
    for (let i = 0; i < 5000; i++) {
      const topic = `devices/sensor-${String(i).padStart(4, '0')}/telemetry`;
      const bytes = encode(publish(topic), 4);
      shared.set(bytes);
      decoder.feed(shared.subarray(0, bytes.length));
      const p = decoder.next() as PublishPacket;
      expect(p.topic).toBe(topic);
    }
  });

  it('payloads are plain Uint8Arrays even when the input chunk is a Node Buffer', () => {
    const decoder = new Decoder({ protocolVersion: 5 });
    decoder.feed(Buffer.from(encode(publish('a/b'), 5)));
    const p = decoder.next() as PublishPacket;
    expect(Object.getPrototypeOf(p.payload)).toBe(Uint8Array.prototype);
    expect([...p.payload]).toEqual([1]);
  });
});
