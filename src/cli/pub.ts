/**
 * `mqttkit pub`: publish one message (-m, -f, -s, -n) or one per stdin line
 * (-l), wait for the QoS guarantee, disconnect.
 */
import { readFile } from 'node:fs/promises';
import type { MqttClient, PublishOptions, PublishResult } from '../node.js';
import { utf8 } from './bytes.js';
import type { PubConfig } from './config.js';
import type { RunControl } from './control.js';
import type { ExitCodeValue } from './exit-codes.js';
import { readAll, readLines } from './io.js';
import type { Log } from './log.js';
import { usageError } from './parse.js';
import { runWithClient } from './session.js';

/** Lines published and not yet acknowledged before reading more input (bounds memory on a fast pipe). */
const MAX_OUTSTANDING = 256;

/** The single payload, read before connecting so a missing file fails fast; undefined for -l. */
async function singlePayload(config: PubConfig): Promise<Uint8Array | undefined> {
  const source = config.source;
  switch (source.kind) {
    case 'message':
      return utf8(source.text);
    case 'null':
      return new Uint8Array(0);
    case 'file':
      try {
        return await readFile(source.path);
      } catch (err) {
        throw usageError('-f', `cannot read "${source.path}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
    case 'stdin-all':
      return readAll(process.stdin);
    case 'stdin-lines':
      return undefined;
  }
}

function reportResult(result: PublishResult, log: Log): void {
  // 0x10: accepted, but nobody is subscribed. Worth knowing, not a failure.
  if (result.reasonCode === 0x10) log.debug('the broker reports no matching subscribers (0x10)');
}

/** Publishes each stdin line as it arrives until stdin ends or the command is stopped. */
async function publishLines(client: MqttClient, config: PubConfig, options: PublishOptions, control: RunControl, log: Log): Promise<void> {
  const outstanding = new Set<Promise<unknown>>();
  let failure: unknown;
  const lines = readLines(process.stdin)[Symbol.asyncIterator]();
  const stopped = control.stopped.then((): IteratorResult<Uint8Array> => ({ done: true, value: undefined }));
  for (;;) {
    const next = await Promise.race([lines.next(), stopped]);
    if (next.done || failure !== undefined) break;
    if (next.value.length === 0) continue;
    const sent = client.publish(config.topic, next.value, options).then(
      (result) => reportResult(result, log),
      (err: unknown) => {
        failure ??= err;
      },
    );
    outstanding.add(sent);
    void sent.finally(() => outstanding.delete(sent));
    if (outstanding.size >= MAX_OUTSTANDING) await Promise.race(outstanding);
  }
  await Promise.all(outstanding);
  if (failure !== undefined) throw failure;
}

export async function runPub(config: PubConfig, log: Log, control: RunControl): Promise<ExitCodeValue> {
  let payload: Uint8Array | undefined;
  try {
    payload = await singlePayload(config);
  } catch (err) {
    control.dispose();
    throw err;
  }
  const options: PublishOptions = { qos: config.qos, retain: config.retain, signal: control.deadline };
  if (config.properties !== undefined) options.properties = config.properties;
  return runWithClient(config, log, control, {
    work: async (client) => {
      if (payload === undefined) await publishLines(client, config, options, control, log);
      else reportResult(await client.publish(config.topic, payload, options), log);
    },
  });
}
