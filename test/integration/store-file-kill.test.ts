/**
 * The file store's promise, end to end: a publisher process on a FileStore
 * (persistent session) is killed with SIGKILL mid-stream, several times, and
 * restarted on the same store and client id; a subscriber with a persistent
 * session receives every message the store promised to keep.
 *
 * Promised (see src/store/file.ts): every message whose publish() returned and
 * whose record was committed before the kill. The child commits after each
 * batch of publish() calls and then prints `durable <run> <seq>`; any such
 * line the test reads was written before the process died. So for each killed
 * run, every message up to the last reported seq must arrive: QoS 1 at least
 * once, QoS 2 exactly once. Messages past it may arrive or not, but a QoS 2
 * one never twice. The last run publishes its whole stream, waits until its
 * store is empty, and ends with a marker that arrives after everything else.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, type MqttClient } from '../../src/node.js';
import { FAST_RECONNECT, nextEvent, unique, within } from '../helpers/clients.js';
import { seededRandom } from '../helpers/engine-harness.js';
import { qosOf } from '../helpers/kill-stream.js';
import { describeWithMosquitto, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PUBLISHER = fileURLToPath(new URL('../fixtures/store-kill-publisher.ts', import.meta.url));
const KILLS = 4;
const LAST_RUN_MESSAGES = 1_500;

interface ChildRun {
  /** Highest seq reported durable (-1: none). */
  durable: number;
  restored: string;
  errors: string[];
  exit: Promise<{ code: number | null; signal: string | null }>;
  child: ChildProcess;
  done: boolean;
}

function startPublisher(args: string[], onLine: (run: ChildRun, line: string) => void): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', PUBLISHER, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const state: ChildRun = {
    durable: -1,
    restored: '',
    errors: [],
    child,
    done: false,
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  let rest = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const durable = /^durable \d+ (-?\d+)$/.exec(line);
      if (durable !== null) state.durable = Math.max(state.durable, Number(durable[1]));
      else if (line.startsWith('restored ')) state.restored = line.slice(9);
      else if (line === 'done') state.done = true;
      else state.errors.push(line);
      onLine(state, line);
    }
  });
  return state;
}

describeWithMosquitto('FileStore: a publisher killed with SIGKILL mid-stream', () => {
  let broker: Mosquitto;
  let dir: string;
  let subscriber: MqttClient | undefined;

  beforeAll(async () => {
    // No cap on what Mosquitto queues for the subscriber (default 1000): a slow subscriber must not be a loss here.
    const started = await startMosquitto({ persistence: true, config: ['max_queued_messages 0'] });
    if (started === undefined) throw new Error('unreachable: describeWithMosquitto skips without mosquitto');
    broker = started;
    dir = mkdtempSync(join(tmpdir(), 'mqttkit-kill-'));
  });

  afterAll(async () => {
    await subscriber?.end({ force: true });
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`every message committed before each of ${KILLS} kills arrives: QoS 1 at least once, QoS 2 exactly once`, {
    timeout: 240_000,
  }, async () => {
    const seed = Number(process.env.KILL_SEED ?? Date.now() % 1_000_000);
    console.log(`SIGKILL publisher test seed ${seed} (KILL_SEED=${seed} replays the kill points)`);
    const random = seededRandom(seed);
    const topic = unique('kill/stream');
    const storePath = join(dir, 'publisher.db');
    const publisherId = unique('kill-pub').slice(-23);

    // The subscriber: persistent session, subscribed before the first publish.
    const received = new Map<string, { count: number; qos: number }>();
    const sub = createClient(broker.url, {
      clientId: unique('kill-sub').slice(-23),
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 600 },
      reconnect: FAST_RECONNECT,
    });
    subscriber = sub;
    let endMarker: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      endMarker = resolve;
    });
    sub.on('message', (m) => {
      const key = m.text();
      if (key === `${KILLS}:end`) endMarker();
      const seen = received.get(key);
      if (seen === undefined) received.set(key, { count: 1, qos: m.qos });
      else seen.count++;
    });
    const connected = nextEvent(sub, 'connect');
    sub.start();
    await connected;
    await sub.subscribe(topic, { qos: 2 });

    const common = (run: number, count: number) => [
      broker.url,
      storePath,
      publisherId,
      topic,
      String(run),
      String(count),
      String(seed + run),
    ];
    const promised: number[] = [];
    for (let run = 0; run < KILLS; run++) {
      // Kill once this many messages are durable, a little later still, so the kill lands anywhere in the loop.
      const target = 200 + Math.floor(random() * 2_500);
      const delay = Math.floor(random() * 40);
      let killing = false;
      const child = startPublisher(common(run, 0), (state) => {
        if (!killing && state.durable >= target) {
          killing = true;
          setTimeout(() => state.child.kill('SIGKILL'), delay);
        }
      });
      const exit = await within(child.exit, 60_000, `publisher run ${run} to reach ${target} durable messages`);
      expect(exit.signal, `run ${run}: ${child.errors.join('; ')}`).toBe('SIGKILL');
      promised.push(child.durable);
      console.log(
        `run ${run}: restored [outgoing queued incoming] ${child.restored}; killed ${delay} ms after ${target} durable; last durable seq ${child.durable}`,
      );
    }

    const last = startPublisher(common(KILLS, LAST_RUN_MESSAGES), () => undefined);
    const exit = await within(last.exit, 120_000, 'the last publisher run to finish');
    expect(exit.code, `last run: ${last.errors.join('; ')}`).toBe(0);
    expect(last.done).toBe(true);
    console.log(`run ${KILLS}: restored [outgoing queued incoming] ${last.restored}; published ${LAST_RUN_MESSAGES} and ended`);
    promised.push(LAST_RUN_MESSAGES - 1);
    await within(ended, 60_000, 'the end marker at the subscriber');

    const tally = { qos1: { promised: 0, lost: 0, duplicates: 0 }, qos2: { promised: 0, lost: 0, duplicates: 0 }, beyondPromise: 0 };
    const lost: string[] = [];
    const qos2Twice: string[] = [];
    for (let run = 0; run <= KILLS; run++) {
      for (let seq = 0; seq <= promised[run]; seq++) {
        const qos = qosOf(run, seq);
        const key = `${run}:${seq}:${qos}`;
        const t = qos === 1 ? tally.qos1 : tally.qos2;
        t.promised++;
        const seen = received.get(key);
        if (seen === undefined) {
          t.lost++;
          lost.push(key);
        } else {
          t.duplicates += seen.count - 1;
          if (qos === 2 && seen.count > 1) qos2Twice.push(key);
          expect(seen.qos, key).toBe(qos);
        }
      }
    }
    for (const [key, seen] of received) {
      const [run, seq] = key.split(':').map(Number);
      if (key.endsWith(':end') || seq <= promised[run]) continue;
      tally.beyondPromise++;
      if (qosOf(run, seq) === 2 && seen.count > 1) qos2Twice.push(key);
    }
    console.log(
      `SIGKILL publisher: ${KILLS} kills; QoS 1: ${tally.qos1.promised} promised, ${tally.qos1.lost} lost, ${tally.qos1.duplicates} duplicates (allowed); ` +
        `QoS 2: ${tally.qos2.promised} promised, ${tally.qos2.lost} lost, ${tally.qos2.duplicates} duplicates; ` +
        `${tally.beyondPromise} more delivered that were published after the last durable report`,
    );
    expect(lost, 'promised messages that never arrived').toEqual([]);
    expect(qos2Twice, 'QoS 2 messages delivered more than once').toEqual([]);
  });
});
