/**
 * A hostile MQTT 3.1.1 broker. 3.1.1 has no DISCONNECT from client to report
 * a reason (its DISCONNECT carries none and means "normal disconnection"), so
 * on a protocol violation the client closes the network connection
 * [MQTT-4.8.0-1] without sending anything, reports the same typed error an
 * MQTT 5 client would (with the MQTT 5 reason code describing it), and
 * reconnects.
 */
import { describe, expect, it } from 'vitest';
import { MalformedPacketError } from '../../src/errors.js';
import { within } from '../helpers/clients.js';
import { ScriptedBroker, type ScriptedConnection } from '../helpers/scripted-broker.js';
import { Fixture, guardProcess } from './support.js';

guardProcess();
const fixture = new Fixture();

/** Attempt 1 breaks a rule after CONNACK; later attempts behave. Checks what all 3.1.1 cases share. */
async function expectClose(hostile: (c: ScriptedConnection) => void, reasonCode: number): Promise<MalformedPacketError> {
  const broker = fixture.broker(
    await ScriptedBroker.start(async (c) => {
      await c.accept();
      if (c.index === 1) hostile(c);
      else c.answerPings();
    }),
  );
  const rec = fixture.client(broker, { protocolVersion: 4 });
  rec.client.start();
  await rec.connected(2);
  const first = broker.connection(1);
  await within(first.closed, 5_000, 'the client to close the first connection');
  expect(first.connect?.protocolVersion).toBe(4);
  expect(first.received.map((p) => p.type)).toEqual(['connect']);
  expect(first.closedBy).toBe('client');
  expect(first.decodeError).toBeUndefined();
  expect(rec.errors).toHaveLength(1);
  const error = rec.errors[0] as MalformedPacketError;
  expect(error).toBeInstanceOf(MalformedPacketError);
  expect(error.reasonCode).toBe(reasonCode);
  expect(rec.offline).toEqual([error]);
  expect(rec.reconnects.map((r) => [r.attempt, r.error])).toEqual([[1, error]]);
  expect(broker.attempts).toBe(2);
  return error;
}

describe('MQTT 3.1.1: a protocol violation closes the connection, no DISCONNECT [MQTT-4.8.0-1]', () => {
  it('garbage bytes', async () => {
    const error = await expectClose((c) => c.sendRaw(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xba, 0xbe)), 0x81);
    expect(error.code).toBe('MQTTKIT_ERR_MALFORMED_PACKET');
  });

  it('packet type 15 (AUTH is reserved before MQTT 5)', async () => {
    const error = await expectClose((c) => c.sendRaw(Uint8Array.of(0xf0, 0x00)), 0x81);
    expect(error.field).toBe('type');
  });

  it('a PUBLISH with QoS 3 [MQTT-3.3.1-4]', async () => {
    const error = await expectClose((c) => c.sendRaw(Uint8Array.of(0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01)), 0x81);
    expect(error.field).toBe('qos');
  });

  it('a reserved flag bit (PINGRESP 0xd1; 3.1.1 [MQTT-2.2.2-2])', async () => {
    const error = await expectClose((c) => c.sendRaw(Uint8Array.of(0xd1, 0x00)), 0x81);
    expect(error.field).toBe('flags');
  });

  it('a second CONNACK', async () => {
    const error = await expectClose((c) => c.connack(), 0x82);
    expect(error.code).toBe('MQTTKIT_ERR_PROTOCOL_ERROR');
  });

  it('a packet only clients send (SUBSCRIBE)', async () => {
    await expectClose((c) => c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'x', qos: 0 }] }), 0x82);
  });

  it('a PUBLISH with a malformed Remaining Length for its content (truncated topic)', async () => {
    // PUBLISH, remaining 3: a topic length of 5 with 1 byte after it.
    await expectClose((c) => c.sendRaw(Uint8Array.of(0x30, 0x03, 0x00, 0x05, 0x61)), 0x81);
  });
});
