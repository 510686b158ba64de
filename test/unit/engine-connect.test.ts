/**
 * Engine: CONNECT and CONNACK (MQTT 5 §3.1, §3.2; MQTT 3.1.1 §3.1, §3.2),
 * driven with a virtual clock and a scripted broker; assertions are on the
 * decoded packets and bytes the engine puts on the wire.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectPacket } from '../../src/codec/types.js';
import { Engine } from '../../src/engine/engine.js';
import { InvalidArgumentError, MalformedPacketError, ReasonCodeError, StateError } from '../../src/errors.js';
import { EngineHarness, hex, scriptedRandom } from '../helpers/engine-harness.js';

const enc = new TextEncoder();

function openAndTakeConnect(h: EngineHarness): { connect: ConnectPacket; bytes: Uint8Array } {
  h.start();
  h.open();
  const last = h.sent[h.sent.length - 1];
  const connect = h.expectSent('connect');
  return { connect, bytes: last.bytes };
}

describe('engine: CONNECT', () => {
  it('asks for a transport on start, and sends CONNECT only once it is open', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.start();
    expect(h.opens).toBe(1);
    expect(h.engine.state).toBe('opening');
    expect(h.takeSent()).toEqual([]);
    h.open();
    expect(h.expectSent('connect').clientId).toBe('c');
    expect(h.engine.state).toBe('connecting');
  });

  it('MQTT 5: protocol name "MQTT", level 5 (§3.1.2.1, §3.1.2.2)', () => {
    const { bytes, connect } = openAndTakeConnect(new EngineHarness({ clientId: 'c' }));
    expect(hex(bytes.subarray(2, 9))).toBe('00 04 4d 51 54 54 05');
    expect(connect.protocolVersion).toBe(5);
  });

  it('MQTT 3.1.1: protocol name "MQTT", level 4', () => {
    const { bytes, connect } = openAndTakeConnect(new EngineHarness({ protocolVersion: 4, clientId: 'c' }));
    expect(hex(bytes.subarray(2, 9))).toBe('00 04 4d 51 54 54 04');
    expect(connect.protocolVersion).toBe(4);
  });

  it('MQTT 3.1: protocol name "MQIsdp", level 3', () => {
    const { bytes, connect } = openAndTakeConnect(new EngineHarness({ protocolVersion: 3, clientId: 'c' }));
    expect(hex(bytes.subarray(2, 11))).toBe('00 06 4d 51 49 73 64 70 03');
    expect(connect.protocolVersion).toBe(3);
  });

  it('defaults: clean start, keep alive 60 s, no will, no credentials (byte-exact MQTT 5 CONNECT)', () => {
    const { bytes } = openAndTakeConnect(new EngineHarness({ clientId: 'c' }));
    // 10 len | 00 04 MQTT | 05 | flags 02 | keepalive 00 3c | props 00 | 00 01 'c'
    expect(hex(bytes)).toBe('10 0e 00 04 4d 51 54 54 05 02 00 3c 00 00 01 63');
  });

  it.each([3, 4, 5] as const)('v%i: carries clean=false, keepAlive, will, username and password', (v) => {
    const will = { topic: 'dev/1/status', payload: enc.encode('gone'), qos: 1 as const, retain: true };
    const h = new EngineHarness({
      protocolVersion: v,
      clientId: 'dev-1',
      clean: false,
      keepAlive: 17,
      will,
      username: 'user',
      password: enc.encode('pw'),
    });
    const { connect, bytes } = openAndTakeConnect(h);
    expect(connect).toMatchObject({ clientId: 'dev-1', clean: false, keepAlive: 17, username: 'user', will });
    expect(connect.password).toEqual(enc.encode('pw'));
    // Connect flags: user 0x80 | password 0x40 | will retain 0x20 | will qos 1 (0x08) | will 0x04 | clean 0.
    const flagsAt = v === 3 ? 11 : 9;
    expect(bytes[flagsAt]).toBe(0xec);
  });

  it('MQTT 5: sends the CONNECT properties', () => {
    const properties = {
      sessionExpiryInterval: 3600,
      receiveMaximum: 10,
      maximumPacketSize: 4096,
      topicAliasMaximum: 5,
      requestProblemInformation: true,
      userProperties: [['k', 'v'] as const],
    };
    const { connect } = openAndTakeConnect(new EngineHarness({ clientId: 'c', properties }));
    expect(connect.properties).toEqual(properties);
  });

  it('MQTT 3.1.1: leaves MQTT 5 properties out of CONNECT', () => {
    const { connect } = openAndTakeConnect(
      new EngineHarness({ protocolVersion: 4, clientId: 'c', properties: { sessionExpiryInterval: 9 } }),
    );
    expect(connect.properties).toBeUndefined();
  });

  it('refuses bad connect options at construction: will topic "a/+" -> InvalidArgumentError', () => {
    const will = { topic: 'a/+', payload: new Uint8Array(0), qos: 0 as const, retain: false };
    expect(() => new Engine({ will })).toThrow(InvalidArgumentError);
  });

  it('refuses an empty client id on MQTT 3.1 at construction', () => {
    expect(() => new Engine({ protocolVersion: 3 })).toThrow(InvalidArgumentError);
  });
});

describe('engine: CONNACK', () => {
  it('success: state connected and a "connect" event with the CONNACK and session present', () => {
    const h = new EngineHarness({ clientId: 'c', clean: false });
    h.start();
    h.open();
    h.brokerSends(h.connack({ sessionPresent: true }));
    expect(h.engine.state).toBe('connected');
    const ev = h.lastEvent('connect');
    expect(ev?.sessionPresent).toBe(true);
    expect(ev?.connack).toMatchObject({ type: 'connack', reasonCode: 0, sessionPresent: true });
    expect(h.timers.has('connect-timeout')).toBe(false);
  });

  it('a CONNACK split into 1-byte chunks is understood', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.start();
    h.open();
    h.brokerSends(h.connack({ properties: { receiveMaximum: 7, topicAliasMaximum: 3 } }), { split: true });
    expect(h.engine.state).toBe('connected');
  });

  it.each([
    ['0x86', 0x86, 'MQTTKIT_ERR_BAD_USER_NAME_OR_PASSWORD'],
    ['0x87', 0x87, 'MQTTKIT_ERR_NOT_AUTHORIZED'],
  ])('MQTT 5 reason %s: typed ReasonCodeError, closed, no reconnect', (_label, code, name) => {
    const h = new EngineHarness({ clientId: 'c' });
    h.start();
    h.open();
    h.brokerSends(h.connack({ reasonCode: code }));
    const close = h.lastEvent('close');
    expect(close?.error).toBeInstanceOf(ReasonCodeError);
    expect(close?.error).toMatchObject({ code: name, reasonCode: code, packet: 'connack', retryable: false });
    expect(h.closes).toHaveLength(1);
    expect(h.closes[0]).toBe(close?.error);
    expect(h.engine.state).toBe('closed');
    expect(h.timers.has('reconnect')).toBe(false);
    expect(h.eventsOf('reconnecting')).toEqual([]);
    expect(h.eventsOf('connect')).toEqual([]);
  });

  it.each([
    [4, 0x86, 'MQTTKIT_ERR_BAD_USER_NAME_OR_PASSWORD'],
    [5, 0x87, 'MQTTKIT_ERR_NOT_AUTHORIZED'],
  ])('MQTT 3.1.1 return code %i: ReasonCodeError with reason %i, no reconnect', (rc, code, name) => {
    const h = new EngineHarness({ protocolVersion: 4, clientId: 'c' });
    h.start();
    h.open();
    h.brokerSends(h.connack({ reasonCode: rc }));
    const error = h.lastEvent('close')?.error;
    expect(error).toBeInstanceOf(ReasonCodeError);
    expect(error).toMatchObject({ code: name, reasonCode: code });
    expect(h.engine.state).toBe('closed');
    expect(h.timers.has('reconnect')).toBe(false);
  });

  it('a refused CONNACK fails the publishes waiting for the connection with the same error', () => {
    const h = new EngineHarness({ clientId: 'c' });
    const op = h.publish('t', 'x', { qos: 1 });
    h.start();
    h.open();
    h.brokerSends(h.connack({ reasonCode: 0x87 }));
    expect(h.failed.get(op)).toBe(h.lastEvent('close')?.error);
  });

  it('reconnect.retryFatal: bad credentials schedule a reconnect instead of closing', () => {
    const h = new EngineHarness({ clientId: 'c', reconnect: { retryFatal: true }, random: () => 0.5 });
    h.start();
    h.open();
    h.brokerSends(h.connack({ reasonCode: 0x86 }));
    expect(h.engine.state).toBe('waiting');
    expect(h.timerDelay('reconnect')).toBe(500);
    expect(h.lastEvent('reconnecting')?.error).toMatchObject({ reasonCode: 0x86 });
    expect(h.eventsOf('close')).toEqual([]);
  });

  it('retryable failure 0x88 (server unavailable): reconnect scheduled', () => {
    const h = new EngineHarness({ clientId: 'c', random: scriptedRandom(0.25) });
    h.start();
    h.open();
    h.brokerSends(h.connack({ reasonCode: 0x88 }));
    expect(h.closes[0]).toMatchObject({ code: 'MQTTKIT_ERR_SERVER_UNAVAILABLE', reasonCode: 0x88, retryable: true });
    expect(h.engine.state).toBe('waiting');
    expect(h.timerDelay('reconnect')).toBe(250);
    expect(h.lastEvent('reconnecting')).toMatchObject({ attempt: 1, delay: 250 });
    h.advance(250);
    expect(h.opens).toBe(2);
  });

  it('MQTT 3.1.1 return code 3 (server unavailable) is retryable', () => {
    const h = new EngineHarness({ protocolVersion: 4, clientId: 'c' });
    h.start();
    h.open();
    h.brokerSends(h.connack({ reasonCode: 3 }));
    expect(h.engine.state).toBe('waiting');
  });

  it('MQTT 5: the Assigned Client Identifier is used on reconnect', () => {
    const h = new EngineHarness({ random: () => 0 });
    expect(h.connectAccepted({ assignedClientIdentifier: 'srv-42' }).clientId).toBe('');
    expect(h.engine.assignedClientId).toBe('srv-42');
    h.transportClosed(new Error('reset'));
    expect(h.reconnectAccepted().clientId).toBe('srv-42');
  });

  it("the broker's Server Keep Alive replaces ours [MQTT-3.2.2-21]", () => {
    const h = new EngineHarness({ clientId: 'c', keepAlive: 60 });
    h.connectAccepted({ serverKeepAlive: 5 });
    expect(h.timerDelay('keepalive')).toBe(5_000);
    h.advance(5_000);
    expect(h.expectSent('pingreq')).toEqual({ type: 'pingreq' });
  });

  it('Server Keep Alive 0 turns keep alive off', () => {
    const h = new EngineHarness({ clientId: 'c', keepAlive: 60 });
    h.connectAccepted({ serverKeepAlive: 0 });
    expect(h.timers.has('keepalive')).toBe(false);
  });

  it('connect timeout: no CONNACK within connectTimeout closes the transport and schedules a reconnect', () => {
    const h = new EngineHarness({ clientId: 'c', connectTimeout: 5_000, random: () => 0.5 });
    h.start();
    h.open();
    expect(h.timerDelay('connect-timeout')).toBe(5_000);
    h.advance(4_999);
    expect(h.closes).toEqual([]);
    h.advance(1);
    expect(h.closes).toHaveLength(1);
    expect(h.closes[0]).toBeInstanceOf(StateError);
    expect(h.closes[0]).toMatchObject({ code: 'MQTTKIT_ERR_TIMEOUT', retryable: true });
    expect(h.engine.state).toBe('waiting');
    expect(h.timerDelay('reconnect')).toBe(500);
  });

  it('a transport closed while waiting for CONNACK clears the connect timeout and schedules a reconnect', () => {
    const h = new EngineHarness({ clientId: 'c', random: () => 0.5 });
    h.start();
    h.open();
    h.transportClosed(new Error('ECONNRESET'));
    expect([...h.timers.keys()]).toEqual(['reconnect']);
    expect(h.eventsOf('offline')).toEqual([]); // it was never online
    expect(h.lastEvent('reconnecting')?.error).toMatchObject({ code: 'MQTTKIT_ERR_CONNECTION_LOST' });
  });

  it('MQTT 5: a second CONNACK is a protocol error: DISCONNECT 0x82 and close [MQTT-3.2.0-2]', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.connectAccepted();
    h.takeSent();
    h.brokerSends(h.connack());
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x82 }]);
    const err = h.lastEvent('error')?.error;
    expect(err).toBeInstanceOf(MalformedPacketError);
    expect(err?.reasonCode).toBe(0x82);
    expect(h.closes).toHaveLength(1);
    expect(h.engine.state).toBe('waiting');
  });

  it('MQTT 3.1.1: a second CONNACK closes the connection without a DISCONNECT', () => {
    const h = new EngineHarness({ protocolVersion: 4, clientId: 'c' });
    h.connectAccepted();
    h.takeSent();
    h.brokerSends(h.connack());
    expect(h.takeSent()).toEqual([]);
    expect(h.closes).toHaveLength(1);
    expect(h.lastEvent('error')?.error.reasonCode).toBe(0x82);
  });

  it('a PUBLISH before CONNACK is a protocol error: not delivered, connection closed [MQTT-3.2.0-1]', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.start();
    h.open();
    h.takeSent();
    h.brokerSends({ type: 'publish', topic: 't', payload: new Uint8Array(1), qos: 1, retain: false, dup: false, packetId: 1 });
    expect(h.delivered).toEqual([]);
    expect(h.takeSent()).toEqual([]); // no PUBACK
    expect(h.lastEvent('error')?.error).toMatchObject({ reasonCode: 0x82 });
    expect(h.closes).toHaveLength(1);
    expect(h.engine.state).toBe('waiting');
  });

  it('a PINGRESP before CONNACK is a protocol error too', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.start();
    h.open();
    h.brokerSends({ type: 'pingresp' });
    expect(h.lastEvent('error')?.error).toMatchObject({ reasonCode: 0x82 });
    expect(h.closes).toHaveLength(1);
  });

  it('a packet only clients send (SUBSCRIBE) from the broker is a protocol error', () => {
    const h = new EngineHarness({ clientId: 'c' });
    h.connectAccepted();
    h.takeSent();
    h.brokerSends({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 't', qos: 0 }] });
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x82 }]);
    expect(h.closes).toHaveLength(1);
  });

  it('Session Present 1 in answer to a Clean Start with no session state closes the connection [MQTT-3.2.2-4]', () => {
    const h = new EngineHarness({ clientId: 'c', clean: true });
    h.start();
    h.open();
    h.brokerSends(h.connack({ sessionPresent: true }));
    expect(h.closes).toHaveLength(1);
    expect(h.engine.state).not.toBe('connected');
  });
});
