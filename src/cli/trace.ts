/**
 * `-d`: every MQTT packet sent (->) and received (<-), one line each on
 * stderr. A transport wrapper decodes the bytes with mqttkit's own codec, so
 * what is printed is what went over the wire, not what the client meant to send.
 */
import { Decoder } from '../codec/decoder.js';
import { reasonCodeName } from '../codec/reason-codes.js';
import type { Packet, ProtocolVersion } from '../codec/types.js';
import type { Transport, TransportFactory } from '../transport/types.js';
import { propertiesJson } from './json.js';
import type { Log } from './log.js';

function reason(code: number | undefined, version: ProtocolVersion): string {
  if (code === undefined) return '';
  const hexCode = `0x${code.toString(16).padStart(2, '0')}`;
  return version === 5 ? `reason ${hexCode} ${reasonCodeName(code)}` : `return code ${code}`;
}

function props(properties: object | undefined): string {
  if (properties === undefined) return '';
  const json = propertiesJson(properties);
  return Object.keys(json).length === 0 ? '' : `properties ${JSON.stringify(json)}`;
}

const bit = (b: boolean | undefined): string => (b ? '1' : '0');

/** One packet as a line: its type, then its fields in parentheses (never the password). */
export function describePacket(p: Packet, version: ProtocolVersion): string {
  const fields: string[] = [];
  const add = (...items: string[]) => {
    for (const item of items) if (item !== '') fields.push(item);
  };
  switch (p.type) {
    case 'connect':
      add(
        `v${p.protocolVersion === 3 ? '3.1' : p.protocolVersion === 4 ? '3.1.1' : '5'}`,
        `client id ${JSON.stringify(p.clientId)}`,
        `clean ${bit(p.clean)}`,
        `keep alive ${p.keepAlive}`,
      );
      if (p.username !== undefined) add(`user ${JSON.stringify(p.username)}`);
      if (p.password !== undefined) add('password ***');
      if (p.will !== undefined)
        add(`will ${JSON.stringify(p.will.topic)} q${p.will.qos} r${bit(p.will.retain)} (${p.will.payload.length} bytes)`);
      add(props(p.properties));
      break;
    case 'connack':
      add(`session present ${bit(p.sessionPresent)}`, reason(p.reasonCode, version), props(p.properties));
      break;
    case 'publish':
      add(`d${bit(p.dup)}`, `q${p.qos}`, `r${bit(p.retain)}`);
      if (p.packetId !== undefined) add(`m${p.packetId}`);
      add(JSON.stringify(p.topic), `${p.payload.length} bytes`, props(p.properties));
      break;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      add(`m${p.packetId}`, reason(p.reasonCode, version), props(p.properties));
      break;
    case 'subscribe':
      add(`m${p.packetId}`);
      for (const s of p.subscriptions) {
        const options = [s.noLocal ? ' nl' : '', s.retainAsPublished ? ' rap' : '', s.retainHandling ? ` rh${s.retainHandling}` : ''].join(
          '',
        );
        add(`${JSON.stringify(s.topicFilter)} q${s.qos}${options}`);
      }
      add(props(p.properties));
      break;
    case 'suback':
      add(
        `m${p.packetId}`,
        ...p.reasonCodes.map((c) => (c < 0x80 ? `granted q${c}` : `refused ${reason(c, 5).replace('reason ', '')}`)),
        props(p.properties),
      );
      break;
    case 'unsubscribe':
      add(`m${p.packetId}`, ...p.topicFilters.map((f) => JSON.stringify(f)), props(p.properties));
      break;
    case 'unsuback':
      add(`m${p.packetId}`, props(p.properties));
      break;
    case 'disconnect':
    case 'auth':
      add(reason(p.reasonCode, version), props(p.properties));
      break;
    default:
      break;
  }
  const name = p.type.toUpperCase();
  return fields.length === 0 ? name : `${name} (${fields.join(', ')})`;
}

/** Wraps a transport factory so each packet written or received is logged with `log.debug`. */
export function tracingTransport(base: TransportFactory, version: ProtocolVersion, log: Log): TransportFactory {
  return async (options, handlers) => {
    // Per connection: a reconnect starts a fresh byte stream.
    const sent = new Decoder({ protocolVersion: version });
    const received = new Decoder({ protocolVersion: version });
    const failed = new Set<Decoder>();
    const trace = (decoder: Decoder, chunk: Uint8Array, arrow: string): void => {
      if (failed.has(decoder)) return;
      try {
        for (const packet of decoder.push(chunk)) log.debug(`${arrow} ${describePacket(packet, decoder.protocolVersion)}`);
      } catch (err) {
        failed.add(decoder);
        log.debug(`${arrow} (could not decode: ${err instanceof Error ? err.message : String(err)})`);
      }
    };
    const transport = await base(options, {
      onData: (chunk) => {
        trace(received, chunk, '<-');
        handlers.onData(chunk);
      },
      onClose: (error) => {
        log.debug(`connection closed${error === undefined ? '' : `: ${error.message}`}`);
        handlers.onClose(error);
      },
    });
    const traced: Transport = {
      get encrypted() {
        return transport.encrypted;
      },
      write(chunks) {
        for (const chunk of chunks) trace(sent, chunk, '->');
        return transport.write(chunks);
      },
      end: () => transport.end(),
      destroy: (error) => transport.destroy(error),
      get onDrain() {
        return transport.onDrain;
      },
      set onDrain(callback) {
        transport.onDrain = callback;
      },
    };
    return traced;
  };
}
