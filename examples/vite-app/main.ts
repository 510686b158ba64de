/**
 * The app: connects over WebSocket, lists the messages on a topic, publishes
 * what you type. `'mqttkit'` resolves through the package's `browser` export
 * condition to dist/browser.js: no Buffer, process or other polyfills needed.
 *
 * In a project of your own: `npm install mqttkit`, `npm install -D vite`,
 * then this index.html and main.ts, and `npx vite`.
 */
import { connect, type MqttkitError } from 'mqttkit';

const params = new URLSearchParams(location.search);
const url = params.get('url') ?? 'ws://localhost:8080/mqtt';
const topic = params.get('topic') ?? 'mqttkit/examples/chat';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = element<HTMLOutputElement>('status');
const send = element<HTMLButtonElement>('send');
const text = element<HTMLInputElement>('text');

function show(state: string, label: string): void {
  status.dataset.state = state;
  status.textContent = label;
}

try {
  const client = await connect(url);
  client.on('offline', () => show('offline', 'offline'));
  client.on('reconnect', ({ delay }) => show('reconnecting', `reconnecting in ${delay} ms`));
  client.on('connect', () => show('ready', `connected to ${url}`));

  // Iterate the subscription instead of listening to every message the client gets.
  const messages = await client.subscribe(topic, { qos: 1 });
  show('ready', `connected to ${url}`);
  send.disabled = false;
  element<HTMLFormElement>('form').addEventListener('submit', (event) => {
    event.preventDefault();
    client.publish(topic, text.value, { qos: 1 }).catch((err: MqttkitError) => show('error', err.message));
  });

  for await (const msg of messages) {
    const item = document.createElement('li');
    item.textContent = msg.text(); // untrusted input: text, never HTML
    element('messages').append(item);
  }
} catch (err) {
  const { code, message } = err as MqttkitError;
  show('error', `${code ?? 'error'}: ${message}`);
}
