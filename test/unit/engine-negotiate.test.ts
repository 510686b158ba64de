/**
 * Engine: protocolVersion 'auto'. MQTT 5.0 is offered first; a broker that
 * refuses the version (CONNACK 0x84 on MQTT 5 [MQTT-3.1.2-2], return code 1
 * on 3.1.1, or a close with no CONNACK right after CONNECT) is offered 3.1.1,
 * then 3.1, at once (no backoff). What a broker accepted is kept for every
 * later reconnection.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectPacket } from '../../src/codec/types.js';
import { EngineHarness, seededRandom } from '../helpers/engine-harness.js';

function auto(options: { clientId?: string; clean?: boolean } = {}): EngineHarness {
  const h = new EngineHarness({ protocolVersion: 'auto', random: seededRandom(7), ...options });
  h.start();
  return h;
}

/** Opens the pending transport and returns the CONNECT the engine sent. */
function offered(h: EngineHarness): ConnectPacket {
  h.open();
  return h.expectSent('connect');
}

describe("engine: protocolVersion 'auto'", () => {
  it('offers MQTT 5.0 first, and stays there when the broker accepts it', () => {
    const h = auto();
    expect(offered(h).protocolVersion).toBe(5);
    h.brokerSends(h.connack());
    expect(h.engine.state).toBe('connected');
    expect(h.engine.protocolVersion).toBe(5);
  });

  it('CONNACK 0x84 (unsupported protocol version) on 5.0: offers 3.1.1 at once, without a backoff or an error', () => {
    const h = auto();
    offered(h);
    h.brokerSends(h.connack({ reasonCode: 0x84 }));
    expect(h.closes).toEqual([undefined]);
    expect(h.engine.state).toBe('opening');
    expect(h.timerDelay('reconnect')).toBeUndefined();
    expect(h.eventsOf('reconnecting')).toEqual([]);
    expect(h.eventsOf('error')).toEqual([]);
    expect(offered(h).protocolVersion).toBe(4);
    h.brokerSends(h.connack());
    expect(h.engine.state).toBe('connected');
    expect(h.engine.protocolVersion).toBe(4);
  });

  it('a 3.1.1-only broker answering a 5.0 CONNECT with a 3.1.1 CONNACK (return code 1) is read as 0x84 and offered 3.1.1', () => {
    const h = auto();
    offered(h);
    // Mosquitto's answer to a version it does not take: the 2-byte 3.1.1 CONNACK, return code 1.
    h.brokerSendsBytes(new Uint8Array([0x20, 0x02, 0x00, 0x01]));
    expect(offered(h).protocolVersion).toBe(4);
  });

  it('return code 1 on 3.1.1: offers 3.1, with a generated client identifier (3.1 needs 1 to 23 characters)', () => {
    const h = auto();
    offered(h);
    h.brokerSends(h.connack({ reasonCode: 0x84 }));
    expect(offered(h).protocolVersion).toBe(4);
    h.brokerSends(h.connack({ reasonCode: 0x01 }));
    const connect = offered(h);
    expect(connect.protocolVersion).toBe(3);
    expect(connect.clientId).toMatch(/^mqttkit-[0-9a-z]{12}$/);
    h.brokerSends(h.connack());
    expect(h.engine.protocolVersion).toBe(3);
    expect(h.engine.assignedClientId).toBe(connect.clientId);
  });

  it('a close with no CONNACK right after CONNECT counts as a refusal of the version', () => {
    const h = auto();
    offered(h);
    h.transportClosed();
    expect(h.engine.state).toBe('opening');
    expect(offered(h).protocolVersion).toBe(4);
    h.transportClosed(new Error('read ECONNRESET'));
    expect(offered(h).protocolVersion).toBe(3);
  });

  it('3.1 refused as well: the error is the broker’s 0x84, and it is not retried (fatal)', () => {
    const h = auto({ clientId: 'dev' });
    for (const version of [5, 4, 3]) {
      expect(offered(h).protocolVersion).toBe(version);
      h.brokerSends(h.connack({ reasonCode: version === 5 ? 0x84 : 0x01 }));
    }
    expect(h.engine.state).toBe('closed');
    expect(h.lastEvent('close')?.error).toMatchObject({ code: 'MQTTKIT_ERR_UNSUPPORTED_PROTOCOL_VERSION', reasonCode: 0x84 });
  });

  it('keeps the negotiated version for reconnections, and a later close before CONNACK is an ordinary failure', () => {
    const h = auto();
    offered(h);
    h.brokerSends(h.connack({ reasonCode: 0x84 }));
    offered(h);
    h.brokerSends(h.connack());
    h.transportClosed(new Error('connection reset'));
    expect(h.engine.state).toBe('waiting');
    const reconnect = h.reconnectAccepted();
    expect(reconnect.protocolVersion).toBe(4);
    h.transportClosed(new Error('connection reset'));
    h.advance(h.timerDelay('reconnect') as number);
    offered(h);
    h.transportClosed();
    // Not a version refusal any more: a backoff, and still 3.1.1.
    expect(h.engine.state).toBe('waiting');
    expect(h.engine.protocolVersion).toBe(4);
  });

  it('a fixed protocolVersion 5 treats 0x84 as the fatal error it is (no fallback)', () => {
    const h = new EngineHarness({ protocolVersion: 5 });
    h.start();
    offered(h);
    h.brokerSends(h.connack({ reasonCode: 0x84 }));
    expect(h.engine.state).toBe('closed');
    expect(h.opens).toBe(1);
  });

  it('3.1.1 with a kept session (Clean Session 0) gets a generated client identifier [MQTT-3.1.3-7]', () => {
    const h = auto({ clean: false });
    expect(offered(h).clientId).toBe('');
    h.brokerSends(h.connack({ reasonCode: 0x84 }));
    const connect = offered(h);
    expect(connect.protocolVersion).toBe(4);
    expect(connect.clean).toBe(false);
    expect(connect.clientId).toMatch(/^mqttkit-/);
  });
});
