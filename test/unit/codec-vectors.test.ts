/**
 * Byte-exact codec vectors for every MQTT control packet, for each protocol
 * level where the packet exists (3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0).
 *
 * Every hex string here was derived by hand from the specifications (fixed
 * header §2.1, Variable Byte Integer §1.5.5 / 3.1.1 §2.2.3, UTF-8 strings
 * §1.5.4, properties §2.2.2, and each packet's own section), never by running
 * our encoder. Each vector asserts both directions:
 *   encode(packet, v)  === bytes            (byte-exact, shortest form)
 *   decode(bytes, v)   deep-equals canonical (absent optional fields absent,
 *                                             MQTT 5 acks always carry reasonCode)
 */
import { describe, expect, it } from 'vitest';
import { Decoder, decode, encode, encodedSize, encodeInto } from '../../src/codec/index.js';
import type { Packet, ProtocolVersion, PublishPacket } from '../../src/codec/types.js';
import { ALL_PACKET_TYPES } from '../helpers/arbitraries.js';
import { spacedHex as hex } from '../helpers/bytes.js';

// ---------------------------------------------------------------------------
// helpers (independent of src/: plain hex parsing and printing)

function h(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex in test vector: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** ASCII text as a Uint8Array (payloads, binary data). */
function a(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Hex of ASCII text, without a length prefix. */
function ax(text: string): string {
  return hex(a(text));
}

const empty = new Uint8Array(0);

/** Reads the Remaining Length of a hand-written vector, to check the vector itself (not the codec). */
function vectorRemainingLength(bytes: Uint8Array): { value: number; headerSize: number } {
  let value = 0;
  let mul = 1;
  let i = 1;
  for (;;) {
    const b = bytes[i++];
    value += (b & 0x7f) * mul;
    if (b < 0x80) return { value, headerSize: i };
    mul *= 128;
  }
}

// ---------------------------------------------------------------------------
// the vectors

interface Vector {
  name: string;
  /** Protocol levels for which these exact bytes and this canonical form hold. */
  versions: ProtocolVersion[];
  /** What we encode. */
  packet: Packet;
  bytes: string;
  /** The canonical decoded form, when it differs from `packet`. */
  decoded?: Packet;
}

const VECTORS: Vector[] = [
  // ---- CONNECT ------------------------------------------------------------
  {
    // MQTT 3.1 §3.1: protocol name "MQIsdp", version 3.
    name: 'CONNECT 3.1: "MQIsdp" level 3, clean, username + password (flags 0xc2), keep alive 10',
    versions: [3],
    packet: {
      type: 'connect',
      protocolVersion: 3,
      clientId: 'c1',
      clean: true,
      keepAlive: 10,
      username: 'u',
      password: a('p'),
    },
    bytes: `10 16  00 06 ${ax('MQIsdp')} 03 c2 00 0a  00 02 63 31  00 01 75  00 01 70`,
  },
  {
    name: 'CONNECT 3.1: 23-byte client id (the 3.1 maximum), will QoS 0, no clean session',
    versions: [3],
    packet: {
      type: 'connect',
      protocolVersion: 3,
      clientId: 'abcdefghijklmnopqrstuvw',
      clean: false,
      keepAlive: 0,
      will: { topic: 't', payload: a('x'), qos: 0, retain: false },
    },
    bytes: `10 2b  00 06 ${ax('MQIsdp')} 03 04 00 00  00 17 ${ax('abcdefghijklmnopqrstuvw')}  00 01 74  00 01 78`,
  },
  {
    // 3.1.1 §3.1.2.10 Figure 3.6 variable header example: "MQTT", level 4, flags 0xCE, keep alive 10.
    name: 'CONNECT 3.1.1 §3.1.2.10 example: "MQTT" level 4, flags 0xce (user, password, will QoS 1, will, clean), keep alive 10',
    versions: [4],
    packet: {
      type: 'connect',
      protocolVersion: 4,
      clientId: 'c1',
      clean: true,
      keepAlive: 10,
      will: { topic: 'w', payload: a('bye'), qos: 1, retain: false },
      username: 'u',
      password: a('p'),
    },
    bytes: '10 1c  00 04 4d 51 54 54 04 ce 00 0a  00 02 63 31  00 01 77  00 03 62 79 65  00 01 75  00 01 70',
  },
  {
    name: 'CONNECT 3.1.1: zero-byte client id with clean session [MQTT-3.1.3-6] [MQTT-3.1.3-7]',
    versions: [4],
    packet: { type: 'connect', protocolVersion: 4, clientId: '', clean: true, keepAlive: 0 },
    bytes: '10 0c  00 04 4d 51 54 54 04 02 00 00  00 00',
  },
  {
    name: 'CONNECT 3.1.1: will QoS 2 + will retain (flags 0x34), empty will payload, keep alive 60',
    versions: [4],
    packet: {
      type: 'connect',
      protocolVersion: 4,
      clientId: 'id',
      clean: false,
      keepAlive: 60,
      will: { topic: 'a/b', payload: empty, qos: 2, retain: true },
    },
    bytes: '10 15  00 04 4d 51 54 54 04 34 00 3c  00 02 69 64  00 03 61 2f 62  00 00',
  },
  {
    // MQTT 5 §3.1.2.11 Figure 3-6 example: flags 0xCE, keep alive 10, properties 05 11 00 00 00 0a.
    name: 'CONNECT 5 §3.1.2.11 example: flags 0xce, keep alive 10, Session Expiry Interval 10 (property length 5)',
    versions: [5],
    packet: {
      type: 'connect',
      protocolVersion: 5,
      clientId: 'c1',
      clean: true,
      keepAlive: 10,
      properties: { sessionExpiryInterval: 10 },
      will: { topic: 'w', payload: a('bye'), qos: 1, retain: false },
      username: 'u',
      password: a('p'),
    },
    bytes: '10 23  00 04 4d 51 54 54 05 ce 00 0a  05 11 00 00 00 0a  00 02 63 31  00  00 01 77  00 03 62 79 65  00 01 75  00 01 70',
  },
  {
    name: 'CONNECT 5: minimal (zero-byte client id, property length 0)',
    versions: [5],
    packet: { type: 'connect', protocolVersion: 5, clientId: '', clean: true, keepAlive: 0 },
    bytes: '10 0d  00 04 4d 51 54 54 05 02 00 00  00  00 00',
  },
  {
    name: 'CONNECT 5: zero-byte client id without Clean Start is allowed on MQTT 5',
    versions: [5],
    packet: { type: 'connect', protocolVersion: 5, clientId: '', clean: false, keepAlive: 65535 },
    bytes: '10 0d  00 04 4d 51 54 54 05 00 ff ff  00  00 00',
  },
  {
    // MQTT 5 §3.1.2.9: the password flag no longer requires the user name flag.
    name: 'CONNECT 5: password without user name (flags 0x42) is allowed on MQTT 5',
    versions: [5],
    packet: { type: 'connect', protocolVersion: 5, clientId: 'c', clean: true, keepAlive: 0, password: a('p') },
    bytes: '10 11  00 04 4d 51 54 54 05 42 00 00  00  00 01 63  00 01 70',
  },
  {
    name: 'CONNECT 5: every CONNECT property and every will property, user properties repeated and ordered',
    versions: [5],
    packet: {
      type: 'connect',
      protocolVersion: 5,
      clientId: 'dev',
      clean: false,
      keepAlive: 300,
      properties: {
        sessionExpiryInterval: 0xffffffff,
        receiveMaximum: 20,
        maximumPacketSize: 1024,
        topicAliasMaximum: 10,
        requestResponseInformation: true,
        requestProblemInformation: false,
        authenticationMethod: 'SCRAM',
        authenticationData: h('01 02'),
        userProperties: [
          ['a', '1'],
          ['a', '2'],
          ['b', '3'],
        ],
      },
      will: {
        topic: 'w/t',
        payload: h('00 ff'),
        qos: 2,
        retain: true,
        properties: {
          willDelayInterval: 5,
          payloadFormatIndicator: true,
          messageExpiryInterval: 3600,
          contentType: 'text/plain',
          responseTopic: 'r/1',
          correlationData: h('de ad'),
          userProperties: [['k', 'v']],
        },
      },
    },
    bytes: [
      '10 7b',
      '00 04 4d 51 54 54 05 34 01 2c',
      '36', // property length 54
      '11 ff ff ff ff', // Session Expiry Interval
      '21 00 14', // Receive Maximum 20
      '27 00 00 04 00', // Maximum Packet Size 1024
      '22 00 0a', // Topic Alias Maximum 10
      '19 01', // Request Response Information 1
      '17 00', // Request Problem Information 0
      `15 00 05 ${ax('SCRAM')}`, // Authentication Method
      '16 00 02 01 02', // Authentication Data
      '26 00 01 61 00 01 31', // User Property a=1
      '26 00 01 61 00 01 32', // User Property a=2
      '26 00 01 62 00 01 33', // User Property b=3
      '00 03 64 65 76', // client id "dev"
      '2b', // will property length 43
      '18 00 00 00 05', // Will Delay Interval 5
      '01 01', // Payload Format Indicator 1
      '02 00 00 0e 10', // Message Expiry Interval 3600
      `03 00 0a ${ax('text/plain')}`, // Content Type
      '08 00 03 72 2f 31', // Response Topic "r/1"
      '09 00 02 de ad', // Correlation Data
      '26 00 01 6b 00 01 76', // User Property k=v
      '00 03 77 2f 74', // will topic
      '00 02 00 ff', // will payload
    ].join(' '),
  },

  // ---- CONNACK ------------------------------------------------------------
  {
    name: 'CONNACK 3.1: accepted',
    versions: [3],
    packet: { type: 'connack', sessionPresent: false, reasonCode: 0 },
    bytes: '20 02 00 00',
  },
  {
    name: 'CONNACK 3.1 / 3.1.1: return code 5 (not authorized)',
    versions: [3, 4],
    packet: { type: 'connack', sessionPresent: false, reasonCode: 5 },
    bytes: '20 02 00 05',
  },
  {
    name: 'CONNACK 3.1.1: session present [MQTT-3.2.2-2]',
    versions: [4],
    packet: { type: 'connack', sessionPresent: true, reasonCode: 0 },
    bytes: '20 02 01 00',
  },
  {
    name: 'CONNACK 3.1.1: return code 4 (bad user name or password)',
    versions: [4],
    packet: { type: 'connack', sessionPresent: false, reasonCode: 4 },
    bytes: '20 02 00 04',
  },
  {
    name: 'CONNACK 5: success, property length 0',
    versions: [5],
    packet: { type: 'connack', sessionPresent: false, reasonCode: 0 },
    bytes: '20 03 00 00 00',
  },
  {
    name: 'CONNACK 5: 0x87 not authorized',
    versions: [5],
    packet: { type: 'connack', sessionPresent: false, reasonCode: 0x87 },
    bytes: '20 03 00 87 00',
  },
  {
    name: 'CONNACK 5: session present with every CONNACK property',
    versions: [5],
    packet: {
      type: 'connack',
      sessionPresent: true,
      reasonCode: 0,
      properties: {
        sessionExpiryInterval: 120,
        receiveMaximum: 100,
        maximumQoS: 1,
        retainAvailable: false,
        maximumPacketSize: 65536,
        assignedClientIdentifier: 'auto-1',
        topicAliasMaximum: 5,
        reasonString: 'ok',
        userProperties: [['x', 'y']],
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: false,
        sharedSubscriptionAvailable: true,
        serverKeepAlive: 30,
        responseInformation: 'resp/',
        serverReference: 'srv2',
        authenticationMethod: 'M',
        authenticationData: h('09'),
      },
    },
    bytes: [
      '20 4c 01 00',
      '49', // property length 73
      '11 00 00 00 78', // Session Expiry Interval 120
      '21 00 64', // Receive Maximum 100
      '24 01', // Maximum QoS 1
      '25 00', // Retain Available 0
      '27 00 01 00 00', // Maximum Packet Size 65536
      `12 00 06 ${ax('auto-1')}`, // Assigned Client Identifier
      '22 00 05', // Topic Alias Maximum 5
      '1f 00 02 6f 6b', // Reason String "ok"
      '26 00 01 78 00 01 79', // User Property x=y
      '28 01', // Wildcard Subscription Available
      '29 00', // Subscription Identifiers Available
      '2a 01', // Shared Subscription Available
      '13 00 1e', // Server Keep Alive 30
      `1a 00 05 ${ax('resp/')}`, // Response Information
      `1c 00 04 ${ax('srv2')}`, // Server Reference
      '15 00 01 4d', // Authentication Method "M"
      '16 00 01 09', // Authentication Data
    ].join(' '),
  },

  // ---- PUBLISH --------------------------------------------------------------
  {
    // 3.1.1 §3.3.2.3 Figure 3.11: topic "a/b", packet identifier 10.
    name: 'PUBLISH 3.1 / 3.1.1 §3.3.2.3 example variable header: topic "a/b", packet identifier 10 (QoS 1)',
    versions: [3, 4],
    packet: { type: 'publish', topic: 'a/b', payload: a('hi'), qos: 1, retain: false, dup: false, packetId: 10 },
    bytes: '32 09  00 03 61 2f 62  00 0a  68 69',
  },
  {
    // MQTT 5 §3.3.2.3 Figure 3-9: topic "a/b", packet identifier 10, property length 0.
    name: 'PUBLISH 5 §3.3.2 example variable header: topic "a/b", packet identifier 10, property length 0',
    versions: [5],
    packet: { type: 'publish', topic: 'a/b', payload: a('hi'), qos: 1, retain: false, dup: false, packetId: 10 },
    bytes: '32 0a  00 03 61 2f 62  00 0a  00  68 69',
  },
  {
    name: 'PUBLISH 3.1 / 3.1.1: QoS 0 with RETAIN, no packet identifier [MQTT-2.3.1-5]',
    versions: [3, 4],
    packet: { type: 'publish', topic: 't', payload: a('ok'), qos: 0, retain: true, dup: false },
    bytes: '31 05  00 01 74  6f 6b',
  },
  {
    name: 'PUBLISH 3.1.1: QoS 2 with DUP and RETAIN (byte 0 = 0x3d), packet identifier 65535, empty payload',
    versions: [4],
    packet: { type: 'publish', topic: 'x', payload: empty, qos: 2, retain: true, dup: true, packetId: 65535 },
    bytes: '3d 05  00 01 78  ff ff',
  },
  {
    name: 'PUBLISH 5: QoS 2 with DUP and RETAIN, property length 0',
    versions: [5],
    packet: { type: 'publish', topic: 'x', payload: empty, qos: 2, retain: true, dup: true, packetId: 65535 },
    bytes: '3d 06  00 01 78  ff ff  00',
  },
  {
    // 3.1.1 §1.5.3 Figure 1.3 / MQTT 5 §1.5.4 Figure 1-1: "A" U+2A6D4 is 00 05 41 F0 AA 9B 94.
    name: 'PUBLISH: UTF-8 string example of §1.5.4 ("A" U+2A6D4 = 00 05 41 f0 aa 9b 94)',
    versions: [3, 4],
    packet: { type: 'publish', topic: 'A\u{2A6D4}', payload: empty, qos: 0, retain: false, dup: false },
    bytes: '30 07  00 05 41 f0 aa 9b 94',
  },
  {
    // [MQTT-1.5.4-3]: EF BB BF is U+FEFF wherever it appears and must not be stripped.
    name: 'PUBLISH: a leading U+FEFF (ef bb bf) is kept, not stripped as a BOM [MQTT-1.5.4-3]',
    versions: [4],
    packet: { type: 'publish', topic: '\uFEFFa', payload: empty, qos: 0, retain: false, dup: false },
    bytes: '30 06  00 04 ef bb bf 61',
  },
  {
    name: 'PUBLISH: a long topic of two-byte characters (66 UTF-16 units, 99 bytes)',
    versions: [4],
    packet: { type: 'publish', topic: '\u00fc/'.repeat(33), payload: empty, qos: 0, retain: false, dup: false },
    bytes: `30 65  00 63 ${'c3 bc 2f '.repeat(33)}`,
  },
  {
    name: 'PUBLISH: a topic of three-byte and four-byte characters, and the payload is not UTF-8 checked',
    versions: [4],
    packet: { type: 'publish', topic: '\u20ac/\u{1F600}', payload: h('ff fe 00'), qos: 0, retain: false, dup: false },
    bytes: '30 0d  00 08 e2 82 ac 2f f0 9f 98 80  ff fe 00',
  },
  {
    // MQTT 5 §3.3.2.1 / §3.3.2.3.4: an empty topic name with a Topic Alias.
    name: 'PUBLISH 5: zero-length topic name with Topic Alias 1',
    versions: [5],
    packet: { type: 'publish', topic: '', payload: empty, qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } },
    bytes: '30 06  00 00  03 23 00 01',
  },
  {
    name: 'PUBLISH 5: every PUBLISH property; subscription identifiers repeated (1, 128, 268435455); user properties ordered',
    versions: [5],
    packet: {
      type: 'publish',
      topic: 't/1',
      payload: a('{}'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 60,
        topicAlias: 3,
        responseTopic: 'resp',
        correlationData: h('01 02 03'),
        userProperties: [
          ['z', '1'],
          ['a', '2'],
          ['z', '3'],
        ],
        subscriptionIdentifiers: [1, 128, 268_435_455],
        contentType: 'json',
      },
    },
    bytes: [
      '32 47',
      '00 03 74 2f 31', // topic "t/1"
      '00 01', // packet identifier
      '3d', // property length 61
      '01 01', // Payload Format Indicator 1
      '02 00 00 00 3c', // Message Expiry Interval 60
      '23 00 03', // Topic Alias 3
      `08 00 04 ${ax('resp')}`, // Response Topic
      '09 00 03 01 02 03', // Correlation Data
      '26 00 01 7a 00 01 31', // User Property z=1
      '26 00 01 61 00 01 32', // User Property a=2
      '26 00 01 7a 00 01 33', // User Property z=3
      '0b 01', // Subscription Identifier 1
      '0b 80 01', // Subscription Identifier 128
      '0b ff ff ff 7f', // Subscription Identifier 268435455
      `03 00 04 ${ax('json')}`, // Content Type
      '7b 7d', // payload "{}"
    ].join(' '),
  },

  // ---- PUBACK / PUBREC / PUBREL / PUBCOMP ---------------------------------
  {
    name: 'PUBACK 3.1 / 3.1.1: packet identifier only',
    versions: [3, 4],
    packet: { type: 'puback', packetId: 1 },
    bytes: '40 02 00 01',
  },
  {
    name: 'PUBREC 3.1 / 3.1.1',
    versions: [3, 4],
    packet: { type: 'pubrec', packetId: 2 },
    bytes: '50 02 00 02',
  },
  {
    name: 'PUBREL 3.1 / 3.1.1: fixed header flags 0b0010 [MQTT-3.6.1-1]',
    versions: [3, 4],
    packet: { type: 'pubrel', packetId: 3 },
    bytes: '62 02 00 03',
  },
  {
    name: 'PUBCOMP 3.1 / 3.1.1',
    versions: [3, 4],
    packet: { type: 'pubcomp', packetId: 0xabcd },
    bytes: '70 02 ab cd',
  },
  {
    name: 'PUBACK 5: success without properties is 4 bytes, reasonCode 0 when decoded (§3.4.2.1)',
    versions: [5],
    packet: { type: 'puback', packetId: 1, reasonCode: 0 },
    bytes: '40 02 00 01',
  },
  {
    name: 'PUBACK 5: reasonCode omitted encodes as success (4 bytes)',
    versions: [5],
    packet: { type: 'puback', packetId: 1 },
    bytes: '40 02 00 01',
    decoded: { type: 'puback', packetId: 1, reasonCode: 0 },
  },
  {
    name: 'PUBREC 5: success without properties is 4 bytes (§3.5.2.1)',
    versions: [5],
    packet: { type: 'pubrec', packetId: 2 },
    bytes: '50 02 00 02',
    decoded: { type: 'pubrec', packetId: 2, reasonCode: 0 },
  },
  {
    name: 'PUBREL 5: success without properties is 4 bytes (§3.6.2.1)',
    versions: [5],
    packet: { type: 'pubrel', packetId: 3 },
    bytes: '62 02 00 03',
    decoded: { type: 'pubrel', packetId: 3, reasonCode: 0 },
  },
  {
    name: 'PUBCOMP 5: success without properties is 4 bytes (§3.7.2.1)',
    versions: [5],
    packet: { type: 'pubcomp', packetId: 4, reasonCode: 0 },
    bytes: '70 02 00 04',
  },
  {
    name: 'PUBACK 5: 0x10 no matching subscribers without properties is 5 bytes (§3.4.2.2.1)',
    versions: [5],
    packet: { type: 'puback', packetId: 1, reasonCode: 0x10 },
    bytes: '40 03 00 01 10',
  },
  {
    name: 'PUBREC 5: 0x80 unspecified error without properties is 5 bytes',
    versions: [5],
    packet: { type: 'pubrec', packetId: 2, reasonCode: 0x80 },
    bytes: '50 03 00 02 80',
  },
  {
    name: 'PUBREL 5: 0x92 packet identifier not found without properties is 5 bytes',
    versions: [5],
    packet: { type: 'pubrel', packetId: 3, reasonCode: 0x92 },
    bytes: '62 03 00 03 92',
  },
  {
    name: 'PUBCOMP 5: 0x92 packet identifier not found without properties is 5 bytes',
    versions: [5],
    packet: { type: 'pubcomp', packetId: 4, reasonCode: 0x92 },
    bytes: '70 03 00 04 92',
  },
  {
    name: 'PUBACK 5: 0x87 with Reason String and a User Property',
    versions: [5],
    packet: { type: 'puback', packetId: 5, reasonCode: 0x87, properties: { reasonString: 'no', userProperties: [['a', 'b']] } },
    bytes: '40 10  00 05  87  0c  1f 00 02 6e 6f  26 00 01 61 00 01 62',
  },
  {
    name: 'PUBCOMP 5: success with a property writes the reason code and property length',
    versions: [5],
    packet: { type: 'pubcomp', packetId: 7, reasonCode: 0, properties: { reasonString: 'x' } },
    bytes: '70 08  00 07  00  04  1f 00 01 78',
  },
  {
    name: 'PUBREL 5: success with a User Property',
    versions: [5],
    packet: { type: 'pubrel', packetId: 8, reasonCode: 0, properties: { userProperties: [['k', '']] } },
    bytes: '62 0a  00 08  00  06  26 00 01 6b 00 00',
  },

  // ---- SUBSCRIBE ------------------------------------------------------------
  {
    // 3.1.1 §3.8.3 Figure 3.22: "a/b" QoS 1, "c/d" QoS 2.
    name: 'SUBSCRIBE 3.1 / 3.1.1 §3.8.3 example payload ("a/b" QoS 1, "c/d" QoS 2), flags 0b0010 [MQTT-3.8.1-1]',
    versions: [3, 4],
    packet: {
      type: 'subscribe',
      packetId: 10,
      subscriptions: [
        { topicFilter: 'a/b', qos: 1 },
        { topicFilter: 'c/d', qos: 2 },
      ],
    },
    bytes: '82 0e  00 0a  00 03 61 2f 62 01  00 03 63 2f 64 02',
  },
  {
    name: 'SUBSCRIBE 3.1.1: wildcards and "$share/..." is just a filter before MQTT 5',
    versions: [4],
    packet: {
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topicFilter: '#', qos: 0 },
        { topicFilter: '$share//+', qos: 0 },
      ],
    },
    bytes: `82 12  00 01  00 01 23 00  00 09 ${ax('$share//+')} 00`,
  },
  {
    name: 'SUBSCRIBE 5: options byte (noLocal, retainAsPublished, retainHandling 1 and 2), shared subscription, Subscription Identifier 16384, User Property',
    versions: [5],
    packet: {
      type: 'subscribe',
      packetId: 1,
      properties: { subscriptionIdentifier: 16384, userProperties: [['u', '1']] },
      subscriptions: [
        { topicFilter: 'a/+', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0 },
        { topicFilter: '#', qos: 0, noLocal: false, retainAsPublished: true, retainHandling: 2 },
        { topicFilter: '$share/g/x/#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 1 },
      ],
    },
    bytes: [
      '82 27',
      '00 01', // packet identifier
      '0b', // property length 11
      '0b 80 80 01', // Subscription Identifier 16384
      '26 00 01 75 00 01 31', // User Property u=1
      '00 03 61 2f 2b 05', // "a/+" QoS 1 | No Local
      '00 01 23 28', // "#" QoS 0 | Retain As Published | Retain Handling 2
      `00 0c ${ax('$share/g/x/#')} 12`, // QoS 2 | Retain Handling 1
    ].join(' '),
  },
  {
    name: 'SUBSCRIBE 5: options omitted encode as 0; decoded form carries them explicitly',
    versions: [5],
    packet: { type: 'subscribe', packetId: 2, subscriptions: [{ topicFilter: 'a', qos: 0 }] },
    bytes: '82 07  00 02  00  00 01 61 00',
    decoded: {
      type: 'subscribe',
      packetId: 2,
      subscriptions: [{ topicFilter: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
    },
  },

  // ---- SUBACK ---------------------------------------------------------------
  {
    name: 'SUBACK 3.1: granted QoS 1 and 2',
    versions: [3],
    packet: { type: 'suback', packetId: 10, reasonCodes: [1, 2] },
    bytes: '90 04  00 0a  01 02',
  },
  {
    // 3.1.1 §3.9.3 Figure 3.26: Success QoS 0, Success QoS 2, Failure.
    name: 'SUBACK 3.1.1 §3.9.3 example payload (0x00, 0x02, 0x80)',
    versions: [4],
    packet: { type: 'suback', packetId: 10, reasonCodes: [0, 2, 0x80] },
    bytes: '90 05  00 0a  00 02 80',
  },
  {
    name: 'SUBACK 5: granted QoS 1, property length 0',
    versions: [5],
    packet: { type: 'suback', packetId: 1, reasonCodes: [1] },
    bytes: '90 04  00 01  00  01',
  },
  {
    name: 'SUBACK 5: every SUBACK reason code, with Reason String',
    versions: [5],
    packet: {
      type: 'suback',
      packetId: 11,
      reasonCodes: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
      properties: { reasonString: 'r' },
    },
    bytes: '90 13  00 0b  04 1f 00 01 72  00 01 02 80 83 87 8f 91 97 9e a1 a2',
  },

  // ---- UNSUBSCRIBE ----------------------------------------------------------
  {
    // 3.1.1 §3.10.3 Figure 3.30: "a/b", "c/d".
    name: 'UNSUBSCRIBE 3.1 / 3.1.1 §3.10.3 example payload ("a/b", "c/d"), flags 0b0010 [MQTT-3.10.1-1]',
    versions: [3, 4],
    packet: { type: 'unsubscribe', packetId: 10, topicFilters: ['a/b', 'c/d'] },
    bytes: 'a2 0c  00 0a  00 03 61 2f 62  00 03 63 2f 64',
  },
  {
    name: 'UNSUBSCRIBE 5: User Property, wildcard and shared filters',
    versions: [5],
    packet: { type: 'unsubscribe', packetId: 2, topicFilters: ['a/#', '$share/g/b'], properties: { userProperties: [['k', 'v']] } },
    bytes: `a2 1b  00 02  07 26 00 01 6b 00 01 76  00 03 61 2f 23  00 0a ${ax('$share/g/b')}`,
  },
  {
    name: 'UNSUBSCRIBE 5: property length 0',
    versions: [5],
    packet: { type: 'unsubscribe', packetId: 3, topicFilters: ['+'] },
    bytes: 'a2 06  00 03  00  00 01 2b',
  },

  // ---- UNSUBACK -------------------------------------------------------------
  {
    name: 'UNSUBACK 3.1 / 3.1.1: packet identifier only',
    versions: [3, 4],
    packet: { type: 'unsuback', packetId: 10 },
    bytes: 'b0 02 00 0a',
  },
  {
    name: 'UNSUBACK 5: every UNSUBACK reason code, property length 0',
    versions: [5],
    packet: { type: 'unsuback', packetId: 10, reasonCodes: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91] },
    bytes: 'b0 0a  00 0a  00  00 11 80 83 87 8f 91',
  },
  {
    name: 'UNSUBACK 5: Reason String and User Property',
    versions: [5],
    packet: {
      type: 'unsuback',
      packetId: 3,
      reasonCodes: [0x11],
      properties: { reasonString: 'gone', userProperties: [['a', 'b']] },
    },
    bytes: `b0 12  00 03  0e 1f 00 04 ${ax('gone')} 26 00 01 61 00 01 62  11`,
  },

  // ---- PINGREQ / PINGRESP ---------------------------------------------------
  {
    name: 'PINGREQ: c0 00 (Remaining Length 0, the §2.2.3 example value 0)',
    versions: [3, 4, 5],
    packet: { type: 'pingreq' },
    bytes: 'c0 00',
  },
  {
    name: 'PINGRESP: d0 00',
    versions: [3, 4, 5],
    packet: { type: 'pingresp' },
    bytes: 'd0 00',
  },

  // ---- DISCONNECT -----------------------------------------------------------
  {
    name: 'DISCONNECT 3.1 / 3.1.1: e0 00',
    versions: [3, 4],
    packet: { type: 'disconnect' },
    bytes: 'e0 00',
  },
  {
    name: 'DISCONNECT 5: normal disconnection without properties is e0 00 (§3.14.2.1)',
    versions: [5],
    packet: { type: 'disconnect', reasonCode: 0 },
    bytes: 'e0 00',
  },
  {
    name: 'DISCONNECT 5: reasonCode omitted is e0 00, decoded with reasonCode 0',
    versions: [5],
    packet: { type: 'disconnect' },
    bytes: 'e0 00',
    decoded: { type: 'disconnect', reasonCode: 0 },
  },
  {
    name: 'DISCONNECT 5: 0x04 disconnect with will message, no properties: Remaining Length 1 (§3.14.2.2.1)',
    versions: [5],
    packet: { type: 'disconnect', reasonCode: 0x04 },
    bytes: 'e0 01 04',
  },
  {
    name: 'DISCONNECT 5: 0x9c use another server with every DISCONNECT property',
    versions: [5],
    packet: {
      type: 'disconnect',
      reasonCode: 0x9c,
      properties: { sessionExpiryInterval: 0, serverReference: 'b2', reasonString: 'move', userProperties: [['a', 'b']] },
    },
    bytes: `e0 1a  9c  18  11 00 00 00 00  1c 00 02 62 32  1f 00 04 ${ax('move')}  26 00 01 61 00 01 62`,
  },
  {
    name: 'DISCONNECT 5: success with a Reason String writes reason code and property length',
    versions: [5],
    packet: { type: 'disconnect', reasonCode: 0, properties: { reasonString: 'bye' } },
    bytes: 'e0 08  00  06 1f 00 03 62 79 65',
  },

  // ---- AUTH (MQTT 5 only) ---------------------------------------------------
  {
    name: 'AUTH 5: success without properties is f0 00 (§3.15.2.1)',
    versions: [5],
    packet: { type: 'auth', reasonCode: 0 },
    bytes: 'f0 00',
  },
  {
    name: 'AUTH 5: reasonCode omitted is f0 00, decoded with reasonCode 0',
    versions: [5],
    packet: { type: 'auth' },
    bytes: 'f0 00',
    decoded: { type: 'auth', reasonCode: 0 },
  },
  {
    name: 'AUTH 5: 0x19 re-authenticate without properties is f0 01 19',
    versions: [5],
    packet: { type: 'auth', reasonCode: 0x19 },
    bytes: 'f0 01 19',
  },
  {
    name: 'AUTH 5: 0x18 continue authentication with Authentication Method and Data',
    versions: [5],
    packet: {
      type: 'auth',
      reasonCode: 0x18,
      properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: h('01 02 03') },
    },
    bytes: `f0 16  18  14  15 00 0b ${ax('SCRAM-SHA-1')}  16 00 03 01 02 03`,
  },
  {
    name: 'AUTH 5: Reason String and User Property',
    versions: [5],
    packet: { type: 'auth', reasonCode: 0x18, properties: { reasonString: '?', userProperties: [['a', 'b']] } },
    bytes: 'f0 0d  18  0b  1f 00 01 3f  26 00 01 61 00 01 62',
  },
];

/**
 * Bytes that are valid but not the shortest form: decode accepts them, and
 * re-encoding the canonical packet gives the shortest form.
 */
interface DecodeOnly {
  name: string;
  v: ProtocolVersion;
  bytes: string;
  decoded: Packet;
  shortest: string;
}

const DECODE_ONLY: DecodeOnly[] = [
  {
    name: 'PUBACK 5 with reason code 0 present (Remaining Length 3)',
    v: 5,
    bytes: '40 03 00 01 00',
    decoded: { type: 'puback', packetId: 1, reasonCode: 0 },
    shortest: '40 02 00 01',
  },
  {
    name: 'PUBACK 5 with reason code 0x10 and property length 0 (Remaining Length 4)',
    v: 5,
    bytes: '40 04 00 01 10 00',
    decoded: { type: 'puback', packetId: 1, reasonCode: 0x10 },
    shortest: '40 03 00 01 10',
  },
  {
    name: 'PUBREL 5 with reason code 0 and property length 0',
    v: 5,
    bytes: '62 04 00 09 00 00',
    decoded: { type: 'pubrel', packetId: 9, reasonCode: 0 },
    shortest: '62 02 00 09',
  },
  {
    name: 'DISCONNECT 5 with reason code 0 (Remaining Length 1)',
    v: 5,
    bytes: 'e0 01 00',
    decoded: { type: 'disconnect', reasonCode: 0 },
    shortest: 'e0 00',
  },
  {
    name: 'DISCONNECT 5 with reason code 0x8e and property length 0',
    v: 5,
    bytes: 'e0 02 8e 00',
    decoded: { type: 'disconnect', reasonCode: 0x8e },
    shortest: 'e0 01 8e',
  },
  {
    name: 'AUTH 5 with reason code 0 and property length 0',
    v: 5,
    bytes: 'f0 02 00 00',
    decoded: { type: 'auth', reasonCode: 0 },
    shortest: 'f0 00',
  },
  {
    name: 'PUBLISH 5 with properties in a different order (user property, subscription id, content type, user property, subscription id)',
    v: 5,
    bytes: '30 1a  00 01 74  16  26 00 01 62 00 01 32  0b 05  03 00 01 78  26 00 01 61 00 01 31  0b 02',
    decoded: {
      type: 'publish',
      topic: 't',
      payload: empty,
      qos: 0,
      retain: false,
      dup: false,
      properties: {
        userProperties: [
          ['b', '2'],
          ['a', '1'],
        ],
        subscriptionIdentifiers: [5, 2],
        contentType: 'x',
      },
    },
    // Re-encoded in the object's key order: user properties, subscription identifiers, content type.
    shortest: '30 1a  00 01 74  16  26 00 01 62 00 01 32  26 00 01 61 00 01 31  0b 05  0b 02  03 00 01 78',
  },
  {
    name: 'CONNACK 3.1: the reserved first byte is ignored (no Session Present flag in 3.1)',
    v: 3,
    bytes: '20 02 01 00',
    decoded: { type: 'connack', sessionPresent: false, reasonCode: 0 },
    shortest: '20 02 00 00',
  },
];

// ---------------------------------------------------------------------------
// tests

function cases(): Array<[string, ProtocolVersion, Vector]> {
  const out: Array<[string, ProtocolVersion, Vector]> = [];
  for (const vec of VECTORS) for (const v of vec.versions) out.push([`v${v} ${vec.name}`, v, vec]);
  return out;
}

describe('the vector table itself', () => {
  it.each(cases())('%s: Remaining Length matches the hand-written bytes', (_name, _v, vec) => {
    const bytes = h(vec.bytes);
    const { value, headerSize } = vectorRemainingLength(bytes);
    expect(headerSize + value).toBe(bytes.length);
  });

  it.each(DECODE_ONLY.map((d) => [d.name, d] as const))('%s: Remaining Lengths match', (_name, d) => {
    for (const s of [d.bytes, d.shortest]) {
      const bytes = h(s);
      const { value, headerSize } = vectorRemainingLength(bytes);
      expect(headerSize + value).toBe(bytes.length);
    }
  });

  it('covers every packet type in every protocol level where it exists', () => {
    const seen = new Set(VECTORS.flatMap((vec) => vec.versions.map((v) => `${v}:${vec.packet.type}`)));
    const types = ALL_PACKET_TYPES.filter((t) => t !== 'auth');
    for (const v of [3, 4, 5]) for (const t of types) expect(seen.has(`${v}:${t}`), `${v}:${t}`).toBe(true);
    expect(seen.has('5:auth')).toBe(true);
  });

  it('uses every MQTT 5 property at least once', () => {
    const names = new Set<string>();
    for (const vec of VECTORS) {
      const p = vec.packet as { properties?: object; will?: { properties?: object } };
      for (const k of Object.keys(p.properties ?? {})) names.add(k);
      for (const k of Object.keys(p.will?.properties ?? {})) names.add(k);
    }
    const all = [
      'payloadFormatIndicator', // 0x01
      'messageExpiryInterval', // 0x02
      'contentType', // 0x03
      'responseTopic', // 0x08
      'correlationData', // 0x09
      'subscriptionIdentifiers', // 0x0B (PUBLISH)
      'subscriptionIdentifier', // 0x0B (SUBSCRIBE)
      'sessionExpiryInterval', // 0x11
      'assignedClientIdentifier', // 0x12
      'serverKeepAlive', // 0x13
      'authenticationMethod', // 0x15
      'authenticationData', // 0x16
      'requestProblemInformation', // 0x17
      'willDelayInterval', // 0x18
      'requestResponseInformation', // 0x19
      'responseInformation', // 0x1A
      'serverReference', // 0x1C
      'reasonString', // 0x1F
      'receiveMaximum', // 0x21
      'topicAliasMaximum', // 0x22
      'topicAlias', // 0x23
      'maximumQoS', // 0x24
      'retainAvailable', // 0x25
      'userProperties', // 0x26
      'maximumPacketSize', // 0x27
      'wildcardSubscriptionAvailable', // 0x28
      'subscriptionIdentifiersAvailable', // 0x29
      'sharedSubscriptionAvailable', // 0x2A
    ];
    expect([...names].sort()).toEqual([...all].sort());
  });
});

describe('encode: byte-exact', () => {
  it.each(cases())('%s', (_name, v, vec) => {
    expect(hex(encode(vec.packet, v))).toBe(hex(h(vec.bytes)));
  });
});

describe('decode: canonical packet', () => {
  it.each(cases())('%s', (_name, v, vec) => {
    const expected = vec.decoded ?? vec.packet;
    expect(decode(h(vec.bytes), v)).toStrictEqual(expected);
  });
});

describe('encodedSize and encodeInto agree with the vectors', () => {
  it.each(cases())('%s', (_name, v, vec) => {
    const bytes = h(vec.bytes);
    expect(encodedSize(vec.packet, v)).toBe(bytes.length);
    const target = new Uint8Array(bytes.length + 5).fill(0xee);
    expect(encodeInto(vec.packet, v, target, 3)).toBe(3 + bytes.length);
    expect(hex(target.subarray(3, 3 + bytes.length))).toBe(hex(bytes));
    expect(hex(target.subarray(0, 3))).toBe('ee ee ee');
    expect(hex(target.subarray(3 + bytes.length))).toBe('ee ee');
    // Too small by one byte: -1 and nothing written.
    const small = new Uint8Array(bytes.length - 1).fill(0xee);
    expect(encodeInto(vec.packet, v, small, 0)).toBe(-1);
    expect(small.every((b) => b === 0xee)).toBe(true);
  });
});

describe('streaming Decoder reproduces the vectors for any chunking', () => {
  it.each(cases())('%s, fed one byte at a time', (_name, v, vec) => {
    const bytes = h(vec.bytes);
    const d = new Decoder({ protocolVersion: v });
    const out: Packet[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
    expect(out).toStrictEqual([vec.decoded ?? vec.packet]);
    expect(d.bufferedBytes).toBe(0);
  });

  it.each([3, 4, 5] as const)('v%i: every vector of the version concatenated into one chunk', (v) => {
    const list = VECTORS.filter((vec) => vec.versions.includes(v));
    const chunks = list.map((vec) => h(vec.bytes));
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    const d = new Decoder({ protocolVersion: v });
    expect(d.push(all)).toStrictEqual(list.map((vec) => vec.decoded ?? vec.packet));
    expect(d.bufferedBytes).toBe(0);
  });

  it('a Decoder switches to the protocol level a decoded CONNECT names', () => {
    const d = new Decoder({ protocolVersion: 4 });
    const connect = '10 0d  00 04 4d 51 54 54 05 02 00 00  00  00 00';
    const puback = '40 03 00 01 10';
    expect(d.push(h(`${connect} ${puback}`))).toStrictEqual([
      { type: 'connect', protocolVersion: 5, clientId: '', clean: true, keepAlive: 0 },
      { type: 'puback', packetId: 1, reasonCode: 0x10 },
    ]);
    expect(d.protocolVersion).toBe(5);
  });
});

describe('decode accepts longer-than-shortest forms; encode writes the shortest', () => {
  it.each(DECODE_ONLY.map((d) => [`v${d.v} ${d.name}`, d] as const))('%s', (_name, d) => {
    expect(decode(h(d.bytes), d.v)).toStrictEqual(d.decoded);
    expect(hex(encode(d.decoded, d.v))).toBe(hex(h(d.shortest)));
  });
});

/**
 * Remaining Length examples of 3.1.1 §2.2.3 Table 2.4 and MQTT 5 §1.5.5
 * Table 1-1, exercised with a QoS 0 PUBLISH to topic "a" (3 bytes of
 * variable header) whose payload makes the body exactly that long.
 */
describe('Remaining Length: the specification examples (§1.5.5 / 3.1.1 §2.2.3)', () => {
  const FILL = 0x5a;
  // The largest payload is shared between cases (allocated once, lazily).
  let big: Uint8Array | undefined;
  function payloadOf(n: number): Uint8Array {
    if (big === undefined || big.length < n) big = new Uint8Array(268_435_452).fill(FILL);
    return big.subarray(0, n);
  }

  const examples: Array<[number, string]> = [
    [127, '7f'],
    [128, '80 01'],
    [16_383, 'ff 7f'],
    [16_384, '80 80 01'],
    [2_097_151, 'ff ff 7f'],
    [2_097_152, '80 80 80 01'],
    [268_435_455, 'ff ff ff 7f'],
  ];

  it('0 is encoded as the single byte 00 (PINGREQ c0 00, DISCONNECT e0 00)', () => {
    expect(hex(encode({ type: 'pingreq' }, 4))).toBe('c0 00');
    expect(hex(encode({ type: 'disconnect' }, 4))).toBe('e0 00');
  });

  it.each(examples)('%i is encoded as %s', { timeout: 60_000 }, (remaining, lengthHex) => {
    const payload = payloadOf(remaining - 3);
    const packet: PublishPacket = { type: 'publish', topic: 'a', payload, qos: 0, retain: false, dup: false };
    const out = encode(packet, 4);
    const header = `30 ${lengthHex}`;
    const headerSize = h(header).length;
    expect(out.length).toBe(headerSize + remaining);
    expect(encodedSize(packet, 4)).toBe(headerSize + remaining);
    expect(hex(out.subarray(0, headerSize + 3))).toBe(hex(h(`${header} 00 01 61`)));
    // The payload is copied verbatim: first, last and a middle byte, then all of it.
    const body = out.subarray(headerSize + 3);
    expect(body.length).toBe(remaining - 3);
    expect(body.indexOf(FILL ^ 0xff)).toBe(-1);
    expect(body.every((b) => b === FILL)).toBe(true);

    const decoded = decode(out, 4) as PublishPacket;
    expect(decoded.type).toBe('publish');
    expect(decoded.topic).toBe('a');
    expect(decoded.qos).toBe(0);
    expect(decoded.payload.length).toBe(remaining - 3);
    expect(decoded.payload[0]).toBe(FILL);
    expect(decoded.payload[decoded.payload.length - 1]).toBe(FILL);
    big = remaining === 268_435_455 ? undefined : big;
  });

  it('the Decoder reads each example Remaining Length from its fixed header alone', () => {
    for (const [remaining, lengthHex] of examples) {
      const d = new Decoder({ protocolVersion: 4, maximumPacketSize: 10 });
      d.feed(h(`30 ${lengthHex}`));
      // Over the maximum: the error names the total size, computed from the header alone.
      let err: unknown;
      try {
        d.next();
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ reasonCode: 0x95, field: 'remainingLength' });
      expect(String((err as Error).message)).toContain(String(h(`30 ${lengthHex}`).length + remaining));
    }
  });
});
