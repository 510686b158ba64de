/**
 * Engine: Topic Aliases both ways (MQTT 5 §3.3.2.3.4). Inbound: mapping and
 * resolution, limits, reset per connection. Outbound (autoTopicAliases): a
 * topic gets an alias on its second use, later uses send an empty topic; the
 * broker's Topic Alias Maximum is never exceeded. Outbound tests check the
 * wire against a model of the broker's alias table.
 */
import { describe, expect, it } from 'vitest';
import type { ConnackProperties, PublishPacket } from '../../src/codec/types.js';
import type { EngineOptions } from '../../src/engine/types.js';
import { MalformedPacketError, MqttkitError } from '../../src/errors.js';
import { bytesOf, EngineHarness, hex } from '../helpers/engine-harness.js';

function inbound(topic: string, alias?: number, payload = 'x'): PublishPacket {
  const p: PublishPacket = { type: 'publish', topic, payload: bytesOf(payload), qos: 0, retain: false, dup: false };
  if (alias !== undefined) p.properties = { topicAlias: alias };
  return p;
}

function connected(connack: ConnackProperties = {}, options: EngineOptions = {}): EngineHarness {
  const h = new EngineHarness({ clientId: 'c', random: () => 0, properties: { topicAliasMaximum: 3 }, ...options });
  h.connectAccepted(connack);
  h.takeSent();
  return h;
}

/**
 * What a broker makes of the PUBLISHes sent since the last take: resolves
 * each (topic, alias) as MQTT 5 §3.3.2.3.4 says, checking every rule.
 */
class BrokerAliasModel {
  private table = new Map<number, string>();
  constructor(private readonly maximum: number) {}
  newConnection(): void {
    this.table.clear();
  }
  resolve(p: PublishPacket): string {
    const alias = p.properties?.topicAlias;
    if (alias === undefined) return p.topic;
    if (alias < 1 || alias > this.maximum) throw new Error(`alias ${alias} outside 1..${this.maximum} [MQTT-3.3.2-9]`);
    if (p.topic !== '') {
      this.table.set(alias, p.topic);
      return p.topic;
    }
    const known = this.table.get(alias);
    if (known === undefined) throw new Error(`alias ${alias} used before the broker learned it`);
    return known;
  }
}

describe('engine: inbound topic aliases', () => {
  it('a PUBLISH with topic and alias maps it; a later one with an empty topic resolves through it', () => {
    const h = connected();
    h.brokerSends(inbound('a/b', 1, 'one'));
    h.brokerSends(inbound('', 1, 'two'));
    expect(h.delivered.map((m) => m.topic)).toEqual(['a/b', 'a/b']);
    expect(h.closes).toEqual([]);
  });

  it('an alias can be mapped again to another topic', () => {
    const h = connected();
    h.brokerSends(inbound('a', 2));
    h.brokerSends(inbound('b', 2));
    h.brokerSends(inbound('', 2));
    expect(h.delivered.map((m) => m.topic)).toEqual(['a', 'b', 'b']);
  });

  it('an alias above our Topic Alias Maximum: DISCONNECT 0x94 [MQTT-3.3.2-10] [MQTT-3.3.2-11]', () => {
    const h = connected();
    h.brokerSends(inbound('a', 4));
    expect(h.delivered).toEqual([]);
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x94 }]);
    expect(h.lastEvent('error')?.error).toBeInstanceOf(MalformedPacketError);
    expect(h.closes).toHaveLength(1);
  });

  it('any alias when we declared no Topic Alias Maximum: DISCONNECT 0x94', () => {
    const h = connected({}, { properties: {} });
    h.brokerSends(inbound('a', 1));
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x94 }]);
  });

  it('alias 0: DISCONNECT 0x94 [MQTT-3.3.2-8]', () => {
    const h = connected();
    // PUBLISH QoS 0, topic "a", properties: topic alias (0x23) = 0
    h.brokerSendsBytes(Uint8Array.of(0x30, 0x07, 0x00, 0x01, 0x61, 0x03, 0x23, 0x00, 0x00));
    expect(h.delivered).toEqual([]);
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x94 }]);
  });

  it('an empty topic with an alias never mapped: DISCONNECT 0x82', () => {
    const h = connected();
    h.brokerSends(inbound('', 2));
    expect(h.delivered).toEqual([]);
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x82 }]);
  });

  it('mappings do not carry over to the next connection [MQTT-3.3.2-7]', () => {
    const h = connected();
    h.brokerSends(inbound('a/b', 1));
    h.transportClosed(new Error('reset'));
    h.reconnectAccepted();
    h.takeSent();
    h.brokerSends(inbound('', 1));
    expect(h.delivered.map((m) => m.topic)).toEqual(['a/b']);
    expect(h.takeSent()).toEqual([{ type: 'disconnect', reasonCode: 0x82 }]);
  });
});

describe('engine: outbound topic aliases (autoTopicAliases)', () => {
  it('first use: topic only; second use: topic + alias (announce); third use: empty topic + alias (byte-exact)', () => {
    const h = connected({ topicAliasMaximum: 2 }, { autoTopicAliases: true });
    for (let i = 0; i < 3; i++) h.publish('a/b', 'x');
    const wire = h.sent.slice(-3).map((s) => hex(s.bytes));
    expect(wire).toEqual([
      '30 07 00 03 61 2f 62 00 78', // topic, no properties
      '30 0a 00 03 61 2f 62 03 23 00 01 78', // topic + Topic Alias 1
      '30 07 00 00 03 23 00 01 78', // empty topic + Topic Alias 1
    ]);
  });

  it('never more aliases than the broker’s Topic Alias Maximum, and every alias resolves to its topic [MQTT-3.3.2-9]', () => {
    const h = connected({ topicAliasMaximum: 2 }, { autoTopicAliases: true });
    const broker = new BrokerAliasModel(2);
    const published: string[] = [];
    const pattern = ['a', 'b', 'c', 'a', 'b', 'c', 'c', 'c', 'd', 'a', 'd', 'd', 'd', 'd', 'b', 'a', 'c', 'a', 'a', 'a', 'b', 'e', 'e'];
    for (const t of pattern) {
      h.publish(t, 'x', { qos: 1 });
      published.push(t);
    }
    const sent = h.takeSent() as PublishPacket[];
    expect(sent.map((p) => broker.resolve(p))).toEqual(published);
    const aliases = new Set(sent.map((p) => p.properties?.topicAlias).filter((a) => a !== undefined));
    expect([...aliases].every((a) => a >= 1 && a <= 2)).toBe(true);
    expect(sent.some((p) => p.topic === '')).toBe(true);
  });

  it('no aliases when the broker’s Topic Alias Maximum is 0 (absent)', () => {
    const h = connected({}, { autoTopicAliases: true });
    for (let i = 0; i < 4; i++) h.publish('a/b', 'x');
    expect((h.takeSent() as PublishPacket[]).every((p) => p.topic === 'a/b' && p.properties === undefined)).toBe(true);
  });

  it('no aliases unless autoTopicAliases is on', () => {
    const h = connected({ topicAliasMaximum: 10 });
    for (let i = 0; i < 4; i++) h.publish('a/b', 'x');
    expect((h.takeSent() as PublishPacket[]).every((p) => p.properties?.topicAlias === undefined)).toBe(true);
  });

  it('after a reconnect every alias is announced again before it is used bare [MQTT-3.3.2-7]', () => {
    const h = connected({ topicAliasMaximum: 2 }, { autoTopicAliases: true });
    const broker = new BrokerAliasModel(2);
    for (let i = 0; i < 3; i++) h.publish('a/b', 'x');
    for (const p of h.takeSent() as PublishPacket[]) broker.resolve(p);
    h.transportClosed(new Error('reset'));
    h.reconnectAccepted({ topicAliasMaximum: 2 });
    broker.newConnection();
    for (let i = 0; i < 3; i++) h.publish('a/b', 'x');
    const sent = h.takeSent() as PublishPacket[];
    expect(sent.map((p) => broker.resolve(p))).toEqual(['a/b', 'a/b', 'a/b']);
  });

  it('a QoS 1 publish sent with an alias is resent with its full topic after a reconnect', () => {
    const h = connected({ topicAliasMaximum: 2 }, { autoTopicAliases: true, clean: false });
    h.publish('a/b', 'x', { qos: 1 });
    h.publish('a/b', 'x', { qos: 1 });
    h.publish('a/b', 'x', { qos: 1 });
    h.transportClosed(new Error('reset'));
    h.reconnectAccepted({}, true);
    const sent = h.takeSent() as PublishPacket[];
    expect(sent.map((p) => [p.topic, p.properties?.topicAlias, p.dup])).toEqual([
      ['a/b', undefined, true],
      ['a/b', undefined, true],
      ['a/b', undefined, true],
    ]);
  });

  it('an alias announced on a publish that was refused (too large) is not used bare afterwards', () => {
    const h = connected({ topicAliasMaximum: 2, maximumPacketSize: 40 }, { autoTopicAliases: true });
    const broker = new BrokerAliasModel(2);
    h.publish('a/b', 'small');
    const big = h.publish('a/b', new Uint8Array(64));
    expect(h.failed.get(big)?.reasonCode).toBe(0x95);
    h.publish('a/b', 'small');
    const sent = h.takeSent() as PublishPacket[];
    expect(sent.map((p) => broker.resolve(p))).toEqual(['a/b', 'a/b']);
  });

  it('a Topic Alias set by the caller above the broker’s maximum is refused, nothing sent [MQTT-3.3.2-9]', () => {
    const h = connected({ topicAliasMaximum: 2 });
    const op = h.publish('a/b', 'x', { properties: { topicAlias: 3 } });
    expect(h.failed.get(op)).toBeInstanceOf(MqttkitError);
    expect(h.takeSent()).toEqual([]);
  });

  it('MQTT 3.1.1: autoTopicAliases has no effect', () => {
    const h = new EngineHarness({ clientId: 'c', protocolVersion: 4, autoTopicAliases: true });
    h.connectAccepted();
    h.takeSent();
    for (let i = 0; i < 3; i++) h.publish('a/b', 'x');
    expect((h.takeSent() as PublishPacket[]).map((p) => p.topic)).toEqual(['a/b', 'a/b', 'a/b']);
  });
});
