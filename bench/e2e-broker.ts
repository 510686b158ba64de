/**
 * The private Mosquitto of the end-to-end benchmark, started with the test
 * harness (test/helpers/mosquitto.ts: free port on 127.0.0.1, own temp dir
 * and config, never the system broker) plus the lines below.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type Mosquitto, mosquittoPath, startMosquitto } from '../test/helpers/mosquitto.js';

/**
 * Extra mosquitto.conf lines (see `man mosquitto.conf`, Mosquitto 2.0):
 * - `max_queued_messages 0`: no per-client queue limit. The default (1000)
 *   also applies to QoS 0 since 2.0 and silently drops messages for a
 *   subscriber that falls behind during a burst. (0 works for QoS 0 since 2.0.10.)
 * - `max_inflight_messages 0`: no limit on outgoing QoS 1/2 messages in flight
 *   per client (default 20); the subscriber's own Receive Maximum still applies.
 * - `max_queued_bytes 0` / `max_inflight_bytes 0` are the defaults (no limit).
 * - `persistence false`: nothing written to disk (the harness writes this line too).
 * - `max_connections` is left at its default, -1 (unlimited).
 */
export const BROKER_CONFIG: readonly string[] = [
  'max_queued_messages 0',
  'max_inflight_messages 0',
  'max_queued_bytes 0',
  'max_inflight_bytes 0',
];

/**
 * For QoS 2, `max_inflight_messages 1000` instead of 0. The option also sets
 * the Receive Maximum Mosquitto announces in CONNACK (0 announces 65,535), and
 * Mosquitto 2.0 scans its list of incoming QoS 2 messages awaiting PUBREL
 * once per new QoS 2 PUBLISH: with 65,535 in flight from the publisher a
 * 100k burst slows to a few hundred messages a second and does not finish in
 * minutes, even from a bare socket (measured: 2,720 of 100,000 delivered in
 * 40 s; with 1000: the whole 100k in about 6 s). Messages over the in-flight
 * limit wait in the (unlimited) queue; none are dropped.
 */
export const QOS2_INFLIGHT = 1000;

export function brokerConfig(qos: 0 | 1 | 2): string[] {
  if (qos !== 2) return [...BROKER_CONFIG];
  return BROKER_CONFIG.map((l) => (l.startsWith('max_inflight_messages ') ? `max_inflight_messages ${QOS2_INFLIGHT}` : l));
}

export async function startBenchBroker(qos: 0 | 1 | 2 = 0): Promise<Mosquitto> {
  const broker = await startMosquitto({ persistence: false, config: brokerConfig(qos) });
  if (broker === undefined) throw new Error('mosquitto not found: install it (apt-get install -y mosquitto) or set MOSQUITTO_BIN');
  return broker;
}

/** `mosquitto 2.0.11`, or undefined. */
export function mosquittoVersion(): string | undefined {
  const bin = mosquittoPath();
  if (bin === undefined) return undefined;
  let out: string;
  try {
    out = execFileSync(bin, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // `mosquitto -h` prints its usage and exits with status 3.
    const e = err as { stdout?: string; stderr?: string };
    out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  const m = /mosquitto version (\S+)/.exec(out);
  return m ? `mosquitto ${m[1]}` : undefined;
}

/** The soft "Max open files" limit of a process, from /proc (Linux), or undefined. */
export function openFilesLimit(pid: number | 'self'): string | undefined {
  try {
    const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
    const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
    const parts = line?.split(/\s{2,}/);
    return parts === undefined ? undefined : parts[1];
  } catch {
    return undefined;
  }
}

/** Lines of the broker log that say it dropped or refused something. */
export function brokerTrouble(broker: Mosquitto): string[] {
  return broker
    .logs()
    .split('\n')
    .filter((l) => /drop|denied|out of memory|exceed|refus|error/i.test(l));
}
