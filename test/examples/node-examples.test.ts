/**
 * The Node examples (examples/*.ts), each run as a child process against a
 * private Mosquitto (plain TCP, and TLS with throwaway certificates), so
 * they cannot rot: what they print is what a reader is promised.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type MqttClient, type ReceivedMessage } from '../../src/node.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { type RunningExample, runExample, startExample } from './run-example.js';

describeWithMosquitto('examples on Node', () => {
  let broker: Mosquitto;

  beforeAll(async () => {
    const started = await startMosquitto({ tls: true });
    if (started === undefined) throw new Error('mosquitto not installed: apt-get install -y mosquitto');
    broker = started;
  });

  afterAll(() => broker?.stop());

  it('request-response.ts: answers a request, three concurrent ones, and times out with MQTTKIT_ERR_TIMEOUT', async () => {
    const { code, output } = await runExample('request-response.ts', [broker.url]);
    expect(output).toContain('2 + 3 = 5\n');
    expect(output).toContain('doubles: 2, 4, 6\n');
    expect(output).toContain('no answer: MQTTKIT_ERR_TIMEOUT\n');
    expect(code).toBe(0);
  });

  it('shared-subscription-workers.ts: each job goes to exactly one of the workers of the $share group', async () => {
    const { code, output } = await runExample('shared-subscription-workers.ts', [broker.url, '3', '12']);
    expect(code).toBe(0);
    const done = [...output.matchAll(/^(worker-\d) did job (\d+)$/gm)].map((m) => ({ worker: m[1], job: Number(m[2]) }));
    expect(done.map((d) => d.job).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // Mosquitto takes turns among a group's subscribers: every worker gets some.
    expect(new Set(done.map((d) => d.worker))).toEqual(new Set(['worker-1', 'worker-2', 'worker-3']));
    expect(output).toMatch(/^all 12 jobs done, each once: worker-\d \d+, worker-\d \d+, worker-\d \d+$/m);
  });

  it('for-await-abort.ts: an AbortSignal and a break each end the loop and unsubscribe (PUBACK 0x10 after)', async () => {
    const { code, output } = await runExample('for-await-abort.ts', [broker.url]);
    expect(output).toMatch(/^first tick: 1$/m);
    expect(output).toMatch(/^stopped by the signal \(TimeoutError\) after [1-9]\d* messages; subscription closed: true$/m);
    expect(output).toMatch(/^break at tick \d*[05]$/m);
    expect(output).toContain('after the loops: no subscribers left\n');
    expect(code).toBe(0);
  });

  describe('node-device.ts', () => {
    let dir: string;
    let watcher: MqttClient;
    let device: RunningExample | undefined;
    const telemetry: ReceivedMessage[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'mqttkit-example-device-'));
      // Watches over plain TCP what the device sends over TLS.
      watcher = await connect(broker.url, { reconnect: { initialDelay: 100, maxDelay: 500 } });
      watcher.on('message', (m) => telemetry.push(m));
      await watcher.subscribe('devices/+/telemetry', { qos: 1 });
    });

    afterAll(async () => {
      device?.kill();
      await watcher?.end({ force: true });
      await rm(dir, { recursive: true, force: true });
    });

    const readings = (deviceId: string) =>
      telemetry.filter((m) => m.topic === `devices/${deviceId}/telemetry`).map((m) => m.json<{ seq: number }>().seq);

    it('sends QoS 1 telemetry over mqtts:// with its CA file, reconnects after a broker restart, stops cleanly on SIGINT', async () => {
      const deviceId = 'example-device-1';
      const storePath = path.join(dir, 'session.mqttkit');
      const certs = broker.certs;
      if (certs === undefined || broker.tlsUrl === undefined) throw new Error('no TLS listener');
      device = startExample('node-device.ts', [broker.tlsUrl, certs.ca.path], {
        DEVICE_ID: deviceId,
        STORE: storePath,
        INTERVAL_MS: '100',
      });
      await device.waitFor(new RegExp(`connected to mqtts://127\\.0\\.0\\.1:\\d+ as ${deviceId}`));
      await device.waitFor(/^reading 3 acknowledged$/m);
      await expect.poll(() => readings(deviceId)).toEqual(expect.arrayContaining([1, 2, 3]));
      expect((await stat(storePath)).isFile()).toBe(true);

      // The broker goes away and comes back (without persistence: the session is gone).
      await broker.restart();
      await device.waitFor(/^offline: /m);
      await device.waitFor(/^reconnecting in \d+ ms \(attempt \d+\)$/m);
      await device.waitFor(/^reconnected \(session present: false\)$/m);
      const before = Math.max(...readings(deviceId));
      await expect.poll(() => readings(deviceId).filter((seq) => seq > before).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);

      device.child.kill('SIGINT');
      expect(await device.exited).toBe(0);
      const output = device.output();
      const stopped = /^stopped after (\d+) readings$/m.exec(output);
      expect(stopped).not.toBeNull();
      // end() waited for every reading to be acknowledged, the ones queued while offline included.
      const acknowledged = [...output.matchAll(/^reading (\d+) acknowledged$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
      expect(acknowledged).toEqual(Array.from({ length: Number(stopped?.[1]) }, (_, i) => i + 1));
      expect(output).not.toContain('failed');
      // A DISCONNECT, not a dropped socket: Mosquitto logs "disconnected." for the former only.
      await expect.poll(() => broker.logs()).toContain(`Client ${deviceId} disconnected.`);
    });
  });
});
