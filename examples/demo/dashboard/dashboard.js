// The dashboard: one mqttkit client in the page, over WebSocket, using the
// browser build loaded by a <script> tag (global `mqttkit`), charts by uPlot.
/* global mqttkit, uPlot */

const config = await (await fetch('/config.json')).json();
const { prefix, protocolVersion, devices } = config;
const METRICS = [
  { key: 'temperature', title: 'Temperature (°C)' },
  { key: 'humidity', title: 'Humidity (%)' },
  { key: 'battery', title: 'Battery (%)' },
];
const WINDOW_S = 90;
const $ = (id) => document.getElementById(id);

// --- state ---
const status = new Map(devices.map((d) => [d, 'unknown']));
const latest = new Map();
const firmwares = new Map();
let selected = devices[0];
let received = 0;
let receivedThisSecond = 0;
const stats = { telemetry: 0, alarms: 0, replies: 0 };
// One row per second: [second, Map(device -> reading)].
const rows = [];

// --- the page's own MQTT client ---
const client = mqttkit.createClient(config.wsUrl, {
  protocolVersion,
  clientId: `dashboard-${Math.random().toString(36).slice(2, 10)}`,
  keepAlive: 20,
  reconnect: { initialDelay: 1000, maxDelay: 10_000 },
});
window.demo = { client, stats, status };

let connection = { state: 'connecting', nextAttemptAt: 0, attempt: 0 };
client.on('connect', () => {
  connection = { state: 'connected', nextAttemptAt: 0, attempt: 0 };
  showConnection();
});
client.on('offline', () => {
  connection = { ...connection, state: 'offline' };
  showConnection();
});
client.on('reconnect', ({ attempt, delay }) => {
  connection = { state: 'reconnecting', attempt, nextAttemptAt: Date.now() + delay };
  showConnection();
});
client.on('close', () => {
  connection = { ...connection, state: 'closed' };
  showConnection();
});

function showConnection() {
  const el = $('connection');
  el.dataset.state = connection.state;
  const queued = client.queuedCount > 0 ? ` · ${client.queuedCount} queued` : '';
  const version = client.protocolVersion === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1';
  let text;
  switch (connection.state) {
    case 'connected':
      text = `connected · ${version} over WebSocket`;
      break;
    case 'reconnecting': {
      const wait = Math.max(0, (connection.nextAttemptAt - Date.now()) / 1000);
      text = `reconnecting · attempt ${connection.attempt} in ${wait.toFixed(1)} s${queued}`;
      break;
    }
    case 'offline':
      text = `offline${queued}`;
      break;
    default:
      text = connection.state;
  }
  $('connection-text').textContent = text;
}
setInterval(showConnection, 250);

// --- devices ---
function renderDevices() {
  const list = $('device-list');
  list.replaceChildren(
    ...devices.map((name) => {
      const li = document.createElement('li');
      li.dataset.device = name;
      li.dataset.status = status.get(name);
      li.classList.toggle('selected', name === selected);
      const reading = latest.get(name);
      const firmware = firmwares.has(name) ? ` <small class="muted">fw ${firmwares.get(name)}</small>` : '';
      li.innerHTML = `<span class="dot"></span><span>${name}${firmware}</span><span class="value">${reading ? `${reading.temperature.toFixed(1)} °C` : ''}</span>`;
      li.onclick = () => select(name);
      return li;
    }),
  );
  const online = [...status.values()].filter((s) => s === 'online').length;
  $('online-count').textContent = `${online} of ${devices.length} online`;
}

function select(name) {
  selected = name;
  $('command-device').value = name;
  for (const chart of charts) restyle(chart);
  renderDevices();
}

$('command-device').replaceChildren(...devices.map((d) => new Option(d, d)));
$('command-device').onchange = (e) => select(e.target.value);

// --- charts ---
const color = (i) => `hsl(${(i * 360) / devices.length}, 70%, 60%)`;
const charts = METRICS.map(({ key, title }) => {
  const el = $(`chart-${key}`);
  const chart = new uPlot(
    {
      title,
      width: el.clientWidth || 600,
      height: 190,
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [
        // Whole seconds: readings come once a second.
        { stroke: '#7d8a99', grid: { stroke: '#253040' }, incrs: [1, 2, 5, 10, 15, 30, 60] },
        { stroke: '#7d8a99', grid: { stroke: '#253040' } },
      ],
      series: [{}, ...devices.map((d, i) => ({ label: d, stroke: color(i), spanGaps: true, ...emphasis(d) }))],
    },
    [[], ...devices.map(() => [])],
    el,
  );
  chart.metric = key;
  return chart;
});

/** The selected device's line stands out. */
function emphasis(device) {
  return device === selected ? { width: 3, alpha: 1 } : { width: 1, alpha: 0.35 };
}

function restyle(chart) {
  devices.forEach((d, i) => {
    Object.assign(chart.series[i + 1], emphasis(d));
  });
  chart.redraw();
}

function plot() {
  const now = Math.floor(Date.now() / 1000);
  while (rows.length > 0 && rows[0][0] < now - WINDOW_S) rows.shift();
  const xs = rows.map((r) => r[0]);
  for (const chart of charts) {
    const data = [xs, ...devices.map((d) => rows.map((r) => r[1].get(d)?.[chart.metric] ?? null))];
    chart.setData(data);
  }
  $('rate').textContent = `${receivedThisSecond} msg/s · ${received} received`;
  receivedThisSecond = 0;
  renderDevices();
}
setInterval(plot, 1000);
window.addEventListener('resize', () => {
  for (const c of charts) c.setSize({ width: c.root.parentElement.clientWidth, height: 190 });
});

const deviceOf = (topic) => topic.slice(prefix.length + 1).split('/')[0];

function record(device, reading) {
  const second = Math.floor(reading.t / 1000);
  let row = rows.at(-1);
  if (row === undefined || row[0] < second) {
    row = [second, new Map()];
    rows.push(row);
  } else if (row[0] > second) {
    row = rows.find((r) => r[0] === second);
    if (row === undefined) return;
  }
  row[1].set(device, reading);
  latest.set(device, reading);
}

// --- subscriptions: each an async iterable of its messages ---
async function follow(filter, qos, onMessage) {
  const subscription = await client.subscribe(filter, { qos });
  for await (const message of subscription) onMessage(message);
}

function addLine(listId, html, max = 50) {
  const li = document.createElement('li');
  li.innerHTML = html;
  const list = $(listId);
  list.prepend(li);
  while (list.children.length > max) list.lastChild.remove();
}

const time = (t) => new Date(t).toLocaleTimeString();

client.start();
follow(`${prefix}/+/telemetry`, 0, (m) => {
  received++;
  receivedThisSecond++;
  stats.telemetry++;
  const device = deviceOf(m.topic);
  record(device, m.json());
  // MQTT 5 user properties ride along with each reading (the fleet sets its firmware version).
  const firmware = m.properties?.userProperties?.find(([name]) => name === 'firmware');
  if (firmware) firmwares.set(device, firmware[1]);
});
follow(`${prefix}/+/status`, 1, (m) => {
  status.set(deviceOf(m.topic), m.text());
  renderDevices();
});
follow(`${prefix}/+/alarm`, 1, (m) => {
  const a = m.json();
  stats.alarms++;
  addLine('alarms', `<span class="muted">${time(a.t)}</span> ${deviceOf(m.topic)}: ${a.metric} ${a.value} (limit ${a.limit})`);
});

// --- commands: MQTT 5 request/response, or a reply topic on MQTT 3.1.1 ---
const replyTopic = `${prefix}/dashboard/${client.clientId || Math.random().toString(36).slice(2)}/replies`;
const waiting = new Map();
if (protocolVersion !== 5) {
  follow(replyTopic, 1, (m) => {
    const reply = m.json();
    waiting.get(reply.id)?.(reply);
  });
}

async function sendCommand(device, command) {
  const id = Math.random().toString(36).slice(2, 10);
  const topic = `${prefix}/${device}/cmd`;
  if (client.protocolVersion === 5) {
    const response = await client.request(topic, JSON.stringify({ command, id }), { qos: 1, timeout: 5000 });
    return response.json();
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error('no reply within 5 s'));
    }, 5000);
    waiting.set(id, (reply) => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(reply);
    });
    client.publish(topic, JSON.stringify({ command, id, replyTo: replyTopic }), { qos: 1 }).catch(reject);
  });
}

$('command-form').onsubmit = async (event) => {
  event.preventDefault();
  const device = $('command-device').value;
  const command = $('command-name').value;
  const started = performance.now();
  try {
    const reply = await sendCommand(device, command);
    stats.replies++;
    const ms = (performance.now() - started).toFixed(0);
    addLine(
      'replies',
      `<span class="${reply.ok ? 'ok' : 'bad'}">${reply.device}</span> ${command}: ${reply.result} <span class="muted">(${ms} ms)</span>`,
    );
  } catch (err) {
    addLine('replies', `<span class="bad">${device}</span> ${command}: ${err.message}`);
  }
};

$('footer').textContent = `broker ${config.wsUrl} · topics ${prefix}/# · ${devices.length} devices · mqttkit browser build`;
renderDevices();
showConnection();
