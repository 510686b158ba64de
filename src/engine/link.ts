/**
 * What the engine's parts share about the current connection: the action list
 * being built, the protocol version, what the broker allows (from CONNACK),
 * and how to send a packet. Outbox and Inbox talk to the connection only here.
 */
import { encode } from '../codec/encode.js';
import type { ConnackProperties, Packet, ProtocolVersion } from '../codec/types.js';
import type { MqttkitError } from '../errors.js';
import type { Action, EngineEvent, OpId, OpResult } from './types.js';

/** The broker's limits from CONNACK (MQTT 5 §3.2.2.3), with the specification's defaults. */
export interface BrokerLimits {
  receiveMaximum: number;
  maximumQoS: 0 | 1 | 2;
  retainAvailable: boolean;
  maximumPacketSize: number;
  topicAliasMaximum: number;
  wildcardSubscriptionAvailable: boolean;
  subscriptionIdentifiersAvailable: boolean;
  sharedSubscriptionAvailable: boolean;
}

export const UNLIMITED: BrokerLimits = {
  receiveMaximum: 65_535,
  maximumQoS: 2,
  retainAvailable: true,
  maximumPacketSize: 268_435_460,
  topicAliasMaximum: 0,
  wildcardSubscriptionAvailable: true,
  subscriptionIdentifiersAvailable: true,
  sharedSubscriptionAvailable: true,
};

/** See EngineOptions.maxInFlight: MQTT 3.1/3.1.1 brokers cannot say how many they take. */
export const DEFAULT_IN_FLIGHT_BEFORE_V5 = 20;

/** The broker's limits from its CONNACK properties, with our own cap on what is in flight (`maxInFlight`). */
export function brokerLimits(props: ConnackProperties | undefined, inFlightCap?: number): BrokerLimits {
  const limits = brokerLimitsFrom(props);
  return inFlightCap !== undefined && inFlightCap < limits.receiveMaximum ? { ...limits, receiveMaximum: inFlightCap } : limits;
}

function brokerLimitsFrom(props: ConnackProperties | undefined): BrokerLimits {
  if (props === undefined) return UNLIMITED;
  return {
    receiveMaximum: props.receiveMaximum ?? 65_535,
    maximumQoS: props.maximumQoS ?? 2,
    retainAvailable: props.retainAvailable ?? true,
    maximumPacketSize: props.maximumPacketSize ?? 268_435_460,
    topicAliasMaximum: props.topicAliasMaximum ?? 0,
    wildcardSubscriptionAvailable: props.wildcardSubscriptionAvailable ?? true,
    subscriptionIdentifiersAvailable: props.subscriptionIdentifiersAvailable ?? true,
    sharedSubscriptionAvailable: props.sharedSubscriptionAvailable ?? true,
  };
}

export class Link {
  out: Action[] = [];
  now = 0;
  /** Time of the last packet sent, for keep alive. */
  lastSent = 0;
  /** Time of the last bytes received, for keep alive: silence from the broker is how a stalled link shows. */
  lastReceived = 0;
  connected = false;
  /** Whether the transport takes more bytes now; while its send buffer is full, publishes wait in the queue. */
  writable = true;
  broker: BrokerLimits = UNLIMITED;

  constructor(public version: ProtocolVersion) {}

  push(action: Action): void {
    this.out.push(action);
  }

  /** Encodes and sends a packet the engine built itself (so it is valid by construction). */
  send(packet: Packet): void {
    this.sendBytes(encode(packet, this.version));
  }

  sendBytes(bytes: Uint8Array): void {
    this.out.push({ type: 'send', bytes });
    this.lastSent = this.now;
  }

  settle(op: OpId | undefined, result: OpResult): void {
    if (op !== undefined) this.out.push({ type: 'settle', op, result });
  }

  fail(op: OpId | undefined, error: MqttkitError): void {
    if (op !== undefined) this.out.push({ type: 'fail', op, error });
  }

  emit(event: EngineEvent): void {
    this.out.push({ type: 'event', event });
  }
}
