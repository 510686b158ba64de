/**
 * A wrong option is refused when the client is made, with an
 * InvalidArgumentError naming it, before anything is opened or sent.
 */
import { describe, expect, it } from 'vitest';
import { type ClientOptions, createClient, InvalidArgumentError, type TransportFactory } from '../../src/index.js';

let opened = 0;
const countingTransport: TransportFactory = () => {
  opened++;
  return Promise.reject(new Error('not used'));
};

function refusal(options: Record<string, unknown>, url = 'mqtt://127.0.0.1:1883'): InvalidArgumentError {
  try {
    createClient(url, { transport: countingTransport, ...options } as ClientOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('client options', () => {
  it.each([
    [{ keepalive: 30 }, 'options.keepalive', /unknown option/],
    [{ protocolVersion: 6 }, 'options.protocolVersion', /3, 4, 5 or 'auto', got 6/],
    [{ keepAlive: -1 }, 'options.keepAlive', /non-negative integer/],
    [{ keepAlive: 70_000 }, 'options.keepAlive', /at most 65535/],
    [{ maxInFlight: 0 }, 'options.maxInFlight', /1 to 65535, got 0/],
    [{ maxInFlight: 1.5 }, 'options.maxInFlight', /1 to 65535/],
    [{ maxQueuedMessages: -5 }, 'options.maxQueuedMessages', /non-negative integer/],
    [{ qos0WhenOffline: 'keep' }, 'options.qos0WhenOffline', /"queue" or "drop"/],
    [{ will: { topic: 'a/+', payload: 'x' } }, 'will.topic', /wildcards/],
  ])('%j is refused, naming %s', (options, field, message) => {
    const before = opened;
    const err = refusal(options);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(err.code).toBe('MQTTKIT_ERR_INVALID_ARGUMENT');
    expect(opened).toBe(before);
  });

  it('a URL that does not parse is refused naming url', () => {
    expect(refusal({}, 'not a url').field).toBe('url');
  });

  it("protocolVersion 'auto' and maxInFlight in range are taken", () => {
    const client = createClient('mqtt://127.0.0.1:1883', { transport: countingTransport, protocolVersion: 'auto', maxInFlight: 100 });
    expect(client.protocolVersion).toBe(5);
    expect(client.state).toBe('idle');
  });
});
