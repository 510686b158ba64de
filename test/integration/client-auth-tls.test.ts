/**
 * TLS, passwords and ACLs against a real Mosquitto: a TLS listener with a
 * throwaway CA, a password file (anonymous clients refused) and an ACL file.
 * Failures that retrying cannot fix (an untrusted certificate, bad
 * credentials) must reject connect() with a typed error and must not start
 * a reconnect storm.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { ProtocolVersion } from '../../src/codec/types.js';
import { ConnectionError, ReasonCodeError } from '../../src/errors.js';
import type { ClientOptions, MqttClient } from '../../src/node.js';
import { tlsTransport } from '../../src/transport/tls.js';
import {
  ClientPool,
  ControlledTransport,
  FAST_RECONNECT,
  Inbox,
  nextEvent,
  rejectionOf,
  sleep,
  unique,
  within,
} from '../helpers/clients.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

const ALICE = { username: 'alice', password: 's3cret' };
const ADMIN = { username: 'admin', password: 'adm1n!' };

/** alice: read/write under allowed/, read only under readonly/, nothing else. admin: everything. */
const ACL = `# written by client-auth-tls.test.ts
user alice
topic readwrite allowed/#
topic read readonly/#

user admin
topic readwrite #
`;

/**
 * Starts the client and waits until it closes for good (at most 3 s, so a
 * client that keeps reconnecting shows up in the counts instead of a
 * timeout), then a little longer, counting what happened on the way.
 */
async function runUntilSettled(client: MqttClient, transport?: ControlledTransport) {
  const counts = { reconnect: 0, connect: 0, offline: 0 };
  client.on('reconnect', () => counts.reconnect++);
  client.on('connect', () => counts.connect++);
  client.on('offline', () => counts.offline++);
  const closed = nextEvent(client, 'close', 3_000).then(
    ([e]) => ({ closed: true, error: e.error }),
    () => ({ closed: false, error: undefined }),
  );
  client.start();
  const { closed: didClose, error } = await closed;
  await sleep(500);
  return { closed: didClose, error, counts, attempts: transport?.attempts };
}

describeWithMosquitto('MqttClient with TLS, passwords and ACLs against Mosquitto', () => {
  let broker: Mosquitto;
  let aclDir: string;
  let ca: string;
  const pool = new ClientPool();

  beforeAll(async () => {
    aclDir = await mkdtemp(join(tmpdir(), 'mqttkit-acl-'));
    const aclFile = join(aclDir, 'acl');
    await writeFile(aclFile, ACL, { mode: 0o644 });
    const s = await startMosquitto({
      tls: true,
      users: { [ALICE.username]: ALICE.password, [ADMIN.username]: ADMIN.password },
      config: [`acl_file ${aclFile}`],
    });
    if (s === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    broker = s;
    ca = broker.certs?.ca.pem ?? '';
  });
  afterEach(() => pool.endAll());
  afterAll(async () => {
    await broker?.stop();
    if (aclDir) await rm(aclDir, { recursive: true, force: true });
  });

  const tlsUrl = () => broker.tlsUrl ?? '';

  // ------------------------------------------------------------------ TLS

  it.each([4, 5] as ProtocolVersion[])(
    'v%i: mqtts:// with the test CA connects, and messages flow over TLS',
    { timeout: 10_000 },
    async (v) => {
      const topic = `allowed/${unique('tls')}`;
      const client = await pool.connect(tlsUrl(), { protocolVersion: v, ...ALICE, tls: { ca } });
      const sub = await client.subscribe(topic, { qos: 1 });
      await client.publish(topic, 'over tls', { qos: 1 });
      const { value } = await within(sub[Symbol.asyncIterator]().next(), 5_000, 'the message');
      expect(value?.text()).toBe('over tls');
    },
  );

  it('mqtts://localhost matches the certificate (DNS SAN) too; tls: and ssl: schemes work', { timeout: 10_000 }, async () => {
    const port = broker.tlsPort;
    for (const url of [`mqtts://localhost:${port}`, `tls://127.0.0.1:${port}`, `ssl://127.0.0.1:${port}`]) {
      const client = await pool.connect(url, { ...ALICE, tls: { ca } });
      expect(client.connected, url).toBe(true);
      await client.end();
    }
  });

  it('without the CA, connect() rejects with ConnectionError MQTTKIT_ERR_TLS_CERTIFICATE (not retryable)', {
    timeout: 10_000,
  }, async () => {
    const err = await rejectionOf(pool.connect(tlsUrl(), { ...ALICE, reconnect: FAST_RECONNECT }));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toBe('MQTTKIT_ERR_TLS_CERTIFICATE');
    expect((err as ConnectionError).retryable).toBe(false);
    expect(err.message).toMatch(/certificate/i);
  });

  it('without the CA, a started client closes with the certificate error and never reconnects', { timeout: 10_000 }, async () => {
    const transport = new ControlledTransport(tlsTransport);
    const client = pool.create(tlsUrl(), { ...ALICE, reconnect: FAST_RECONNECT, transport: transport.factory });
    const { error, counts, attempts } = await runUntilSettled(client, transport);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error?.code).toBe('MQTTKIT_ERR_TLS_CERTIFICATE');
    expect(counts).toEqual({ reconnect: 0, connect: 0, offline: 0 });
    expect(attempts).toBe(1);
    expect(client.state).toBe('closed');
  });

  it('a server name that is not in the certificate is a certificate error too', { timeout: 10_000 }, async () => {
    const err = await rejectionOf(pool.connect(tlsUrl(), { ...ALICE, tls: { ca, servername: 'not-the-broker.example' } }));
    expect(err.code).toBe('MQTTKIT_ERR_TLS_CERTIFICATE');
  });

  it('rejectUnauthorized: false connects without the CA', { timeout: 10_000 }, async () => {
    const client = await pool.connect(tlsUrl(), { ...ALICE, tls: { rejectUnauthorized: false } });
    expect(client.connected).toBe(true);
  });

  it('TLS to the plain MQTT port: connect() rejects at once with a ConnectionError', { timeout: 10_000 }, async () => {
    // Mosquitto resets the connection on a ClientHello, so Node reports ECONNRESET during the
    // handshake: mqttkit calls that MQTTKIT_ERR_CONNECTION_RESET (retryable), not TLS_HANDSHAKE.
    // A started client therefore keeps retrying with backoff (see the report).
    const wrongPort = `mqtts://127.0.0.1:${broker.port}`;
    const err = await rejectionOf(pool.connect(wrongPort, { ...ALICE, tls: { ca }, connectTimeout: 3_000 }));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toBe('MQTTKIT_ERR_CONNECTION_RESET');
  });

  // ------------------------------------------------------------------ passwords

  it.each([3, 4, 5] as ProtocolVersion[])('v%i: the right user name and password connect', { timeout: 10_000 }, async (v) => {
    const client = await pool.connect(broker.url, { protocolVersion: v, ...ALICE });
    expect(client.connected).toBe(true);
    // The URL's user info works as well.
    const fromUrl = await pool.connect(`mqtt://alice:s3cret@127.0.0.1:${broker.port}`, { protocolVersion: v });
    expect(fromUrl.connected).toBe(true);
  });

  // Mosquitto 2.0.11 limitation: it refuses a wrong password with "not authorized" on every
  // version: CONNACK 0x87 on MQTT 5, return code 5 (mapped to 0x87) on 3.1/3.1.1. It never sends
  // 0x86 / return code 4, so MQTTKIT_ERR_BAD_USER_NAME_OR_PASSWORD (and the mapping of return
  // code 4 to 0x86) is checked against aedes in client-aedes.test.ts.
  const WRONG_PASSWORD: Record<ProtocolVersion, { code: string; reasonCode: number }> = {
    3: { code: 'MQTTKIT_ERR_NOT_AUTHORIZED', reasonCode: 0x87 },
    4: { code: 'MQTTKIT_ERR_NOT_AUTHORIZED', reasonCode: 0x87 },
    5: { code: 'MQTTKIT_ERR_NOT_AUTHORIZED', reasonCode: 0x87 },
  };

  it.each([3, 4, 5] as ProtocolVersion[])(
    'v%i: a wrong password rejects connect() with a ReasonCodeError',
    { timeout: 10_000 },
    async (v) => {
      const err = await rejectionOf(
        pool.connect(broker.url, { protocolVersion: v, username: 'alice', password: 'wrong', reconnect: FAST_RECONNECT }),
      );
      expect(err).toBeInstanceOf(ReasonCodeError);
      expect(err.code).toBe(WRONG_PASSWORD[v].code);
      expect(err.reasonCode).toBe(WRONG_PASSWORD[v].reasonCode);
      expect((err as ReasonCodeError).packet).toBe('connack');
      expect((err as ReasonCodeError).retryable).toBe(false);
    },
  );

  it.each([3, 4, 5] as ProtocolVersion[])(
    'v%i: with a wrong password a started client closes with the error and does not reconnect',
    { timeout: 10_000 },
    async (v) => {
      const transport = new ControlledTransport();
      const client = pool.create(broker.url, {
        protocolVersion: v,
        username: 'alice',
        password: 'wrong',
        reconnect: FAST_RECONNECT,
        transport: transport.factory,
      });
      const queued = rejectionOf(client.publish('allowed/x', 'never sent', { qos: 1 }));
      const { error, counts, attempts } = await runUntilSettled(client, transport);
      expect(error).toBeInstanceOf(ReasonCodeError);
      expect(error?.code).toBe(WRONG_PASSWORD[v].code);
      expect(counts.reconnect).toBe(0);
      expect(counts.connect).toBe(0);
      expect(attempts).toBe(1);
      expect(client.state).toBe('closed');
      // What was queued for the connection fails with the same error.
      const queuedErr = await queued;
      expect(queuedErr.code).toBe(WRONG_PASSWORD[v].code);
    },
  );

  it('anonymous clients are refused (not authorized), also without reconnecting', { timeout: 10_000 }, async () => {
    const err = await rejectionOf(pool.connect(broker.url, { protocolVersion: 5, reconnect: FAST_RECONNECT }));
    expect(err).toBeInstanceOf(ReasonCodeError);
    expect(err.code).toBe('MQTTKIT_ERR_NOT_AUTHORIZED');
    expect(err.reasonCode).toBe(0x87);
  });

  it('reconnect.retryFatal: true keeps retrying after bad credentials', { timeout: 10_000 }, async () => {
    const transport = new ControlledTransport();
    const client = pool.create(broker.url, {
      protocolVersion: 5,
      username: 'alice',
      password: 'wrong',
      reconnect: { initialDelay: 50, maxDelay: 100, retryFatal: true },
      transport: transport.factory,
    });
    const errors: (string | undefined)[] = [];
    client.on('reconnect', (e) => errors.push((e.error as ReasonCodeError | undefined)?.code));
    client.start();
    await within(
      (async () => {
        while (errors.length < 3) await sleep(10);
      })(),
      5_000,
      '3 reconnect attempts',
    );
    expect(errors.slice(0, 3)).toEqual(Array(3).fill(WRONG_PASSWORD[5].code));
    expect(transport.attempts).toBeGreaterThanOrEqual(3);
  });

  // ------------------------------------------------------------------ ACLs

  it('v5: a QoS 1 publish to a denied topic rejects with ReasonCodeError MQTTKIT_ERR_NOT_AUTHORIZED (PUBACK 0x87); the connection stays up', {
    timeout: 10_000,
  }, async () => {
    const admin = await pool.connect(broker.url, { protocolVersion: 5, ...ADMIN });
    const inbox = new Inbox(admin);
    await admin.subscribe('#', { qos: 1 });

    const client = await pool.connect(broker.url, { protocolVersion: 5, ...ALICE });
    let offline = 0;
    client.on('offline', () => offline++);
    const err = await rejectionOf(client.publish(`denied/${unique('acl')}`, 'nope', { qos: 1 }));
    expect(err).toBeInstanceOf(ReasonCodeError);
    expect(err.code).toBe('MQTTKIT_ERR_NOT_AUTHORIZED');
    expect(err.reasonCode).toBe(0x87);
    expect((err as ReasonCodeError).packet).toBe('puback');

    // Read-only topics refuse publishes the same way; QoS 2 is refused in PUBREC.
    const readonly = await rejectionOf(client.publish(`readonly/${unique('acl')}`, 'nope', { qos: 1 }));
    expect(readonly.code).toBe('MQTTKIT_ERR_NOT_AUTHORIZED');
    const qos2 = await rejectionOf(client.publish(`denied/${unique('acl')}`, 'nope', { qos: 2 }));
    expect(qos2.code).toBe('MQTTKIT_ERR_NOT_AUTHORIZED');
    expect((qos2 as ReasonCodeError).packet).toBe('pubrec');

    // An allowed topic still works on the same connection.
    const allowed = `allowed/${unique('acl')}`;
    await client.publish(allowed, 'yes', { qos: 1 });
    await inbox.count(1);
    await sleep(200);
    expect(inbox.messages.map((m) => m.topic)).toEqual([allowed]);
    expect(client.connected).toBe(true);
    expect(offline).toBe(0);
    expect(client.inFlightCount).toBe(0);
  });

  it('v4: Mosquitto acknowledges a denied QoS 1 publish normally (3.1.1 PUBACK has no reason) and drops the message', {
    timeout: 10_000,
  }, async () => {
    const admin = await pool.connect(broker.url, { protocolVersion: 5, ...ADMIN });
    const inbox = new Inbox(admin);
    await admin.subscribe('#', { qos: 1 });
    const client = await pool.connect(broker.url, { protocolVersion: 4, ...ALICE });
    const result = await client.publish(`denied/${unique('acl')}`, 'nope', { qos: 1 });
    expect(result.reasonCode).toBeUndefined();
    await sleep(300);
    expect(inbox.messages).toHaveLength(0);
    expect(client.connected).toBe(true);
  });

  it.each([4, 5] as ProtocolVersion[])(
    'v%i: Mosquitto grants SUBSCRIBE to a denied filter but never delivers messages from it',
    { timeout: 10_000 },
    async (v) => {
      // Mosquitto 2.0.11 with acl_file checks read access when delivering, not in SUBACK.
      const denied = `denied/${unique('acl')}`;
      const allowed = `allowed/${unique('acl')}`;
      const client = await pool.connect(broker.url, { protocolVersion: v, ...ALICE });
      const inbox = new Inbox(client);
      const sub = await client.subscribe([denied, allowed], { qos: 1 });
      expect(sub.reasonCodes).toEqual([1, 1]);
      const admin = await pool.connect(broker.url, { protocolVersion: 5, ...ADMIN });
      await admin.publish(denied, 'secret', { qos: 1 });
      await admin.publish(allowed, 'public', { qos: 1 });
      await inbox.count(1);
      await sleep(300);
      expect(inbox.texts()).toEqual(['public']);
    },
  );
});

describeWithMosquitto('MqttClient with mutual TLS against Mosquitto', () => {
  let broker: Mosquitto;
  const pool = new ClientPool();

  beforeAll(async () => {
    const s = await startMosquitto({ tls: true, requireClientCertificate: true });
    if (s === undefined) throw new Error('unreachable');
    broker = s;
  });
  afterEach(() => pool.endAll());
  afterAll(() => broker?.stop());

  const options = (extra: ClientOptions = {}): ClientOptions => ({ reconnect: FAST_RECONNECT, ...extra });

  it('a client certificate signed by the CA is accepted', { timeout: 10_000 }, async () => {
    const certs = broker.certs;
    if (certs === undefined) throw new Error('no certs');
    const client = await pool.connect(
      broker.tlsUrl ?? '',
      options({ tls: { ca: certs.ca.pem, cert: certs.clientCert.pem, key: certs.clientKey.pem } }),
    );
    expect(client.connected).toBe(true);
  });

  it('without a client certificate the client closes with MQTTKIT_ERR_TLS_CERTIFICATE and does not reconnect', {
    timeout: 10_000,
  }, async () => {
    const certs = broker.certs;
    if (certs === undefined) throw new Error('no certs');
    const transport = new ControlledTransport(tlsTransport);
    const client = pool.create(broker.tlsUrl ?? '', options({ tls: { ca: certs.ca.pem }, transport: transport.factory }));
    const { error, counts, attempts } = await runUntilSettled(client, transport);
    expect(error?.code).toBe('MQTTKIT_ERR_TLS_CERTIFICATE');
    expect(counts.reconnect).toBe(0);
    expect(attempts).toBe(1);
  });
});
