/**
 * `mqttkit sub`: subscribe and print each message on stdout until -C
 * messages were printed, -W ran out, or Ctrl-C / SIGTERM.
 *
 * Messages are taken from the client's `message` event, attached before
 * connecting, rather than from the subscription's iterator: a persistent
 * session (-c) delivers queued messages right after CONNACK, before any
 * SUBSCRIBE, and every PUBLISH the broker sends is printed once, as
 * mosquitto_sub does.
 */

import { reasonCodeName } from '../codec/reason-codes.js';
import type { PublishProperties } from '../codec/types.js';
import { type ReceivedMessage, type Subscription, topicMatches } from '../node.js';
import type { SubConfig } from './config.js';
import type { RunControl } from './control.js';
import type { ExitCodeValue } from './exit-codes.js';
import { renderMessage } from './format.js';
import { Output } from './io.js';
import type { MessageView } from './json.js';
import type { Log } from './log.js';
import { closedWithError, runWithClient } from './session.js';

/** Consumes a subscription's iterator so it buffers nothing (the messages are printed from the client's event). */
async function drain(sub: Subscription): Promise<void> {
  try {
    for await (const _ of sub) {
      // printed by the message listener
    }
  } catch {
    // the client's close is reported by the session
  }
}

/**
 * The message as printed: without the subscription identifiers the client
 * added on its own (MQTT 5 routing), which the user never asked for.
 */
function shownMessage(m: ReceivedMessage, keepIds: boolean): MessageView {
  const ids = m.properties?.subscriptionIdentifiers;
  if (keepIds || ids === undefined) return m;
  const { subscriptionIdentifiers: _, ...rest } = m.properties as PublishProperties;
  return { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, properties: Object.keys(rest).length > 0 ? rest : undefined };
}

export async function runSub(config: SubConfig, log: Log, control: RunControl): Promise<ExitCodeValue> {
  const output = new Output(process.stdout);
  const keepIds = config.subscribeProperties?.subscriptionIdentifier !== undefined;
  let printed = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let finished = false;
  const stop = () => {
    finished = true;
    finish();
  };
  output.whenClosed(stop);

  const onMessage = (m: ReceivedMessage): void => {
    if (finished) return;
    if (config.filterOut.some((f) => topicMatches(f, m.topic))) return;
    if (m.retain && config.noRetained) return;
    if (config.retainedOnly && !m.retain) {
      stop();
      return;
    }
    output.write(renderMessage(config.output, shownMessage(m, keepIds), new Date()));
    printed++;
    if (config.count !== undefined && printed >= config.count) stop();
  };

  return runWithClient(config, log, control, {
    beforeConnect: (client) => client.on('message', onMessage),
    work: async (client) => {
      const closed = closedWithError(client);
      // Handled here too: the client may close with an error after the race below is decided.
      closed.catch(() => undefined);
      const sub = await client.subscribe(config.topics, {
        qos: config.qos,
        properties: config.subscribeProperties,
        signal: control.stop,
      });
      void drain(sub);
      sub.reasonCodes.forEach((code, i) => {
        if (code >= 0x80)
          log.warn(`subscription to ${JSON.stringify(config.topics[i])} refused: ${reasonCodeName(code)} (0x${code.toString(16)})`);
      });
      if (config.exitOnSubscribe) return;
      await Promise.race([done, control.stopped, closed]);
    },
    finally: () => output.flush(),
  });
}
