/**
 * One simulated device: an mqttkit client over TCP that publishes telemetry
 * (QoS 0), alarms (QoS 1) and a retained status with a last will, and answers
 * commands (QoS 1). `crash()` drops its connection without DISCONNECT, as a
 * device losing power would, so the broker publishes its will.
 */
import { connect, type MqttClient, type Transport, type TransportFactory, tcpTransport } from '../../src/node.js';
import { type Alarm, type Command, type CommandReply, type Telemetry, topics } from './protocol.js';

export interface DeviceOptions {
  url: string;
  prefix: string;
  name: string;
  protocolVersion: 4 | 5;
  /** Telemetry period in ms. */
  period: number;
}

const LIMITS = { temperature: 30, humidity: 80, battery: 15 } as const;

export class Device {
  readonly name: string;
  private client: MqttClient | undefined;
  private transport: Transport | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly topics: ReturnType<typeof topics>;
  private reading: Telemetry;
  private alarmed = new Set<string>();

  constructor(private readonly options: DeviceOptions) {
    this.name = options.name;
    this.topics = topics(options.prefix, options.name);
    this.reading = {
      t: Date.now(),
      temperature: 19 + Math.random() * 6,
      humidity: 35 + Math.random() * 20,
      battery: 60 + Math.random() * 40,
    };
  }

  get online(): boolean {
    return this.client !== undefined;
  }

  async start(): Promise<void> {
    // Keep a handle on the transport so crash() can pull the plug under the client.
    const transport: TransportFactory = async (options, handlers) => {
      this.transport = await tcpTransport(options, handlers);
      return this.transport;
    };
    const client = await connect(this.options.url, {
      clientId: `demo-${this.options.prefix.split('/').pop()}-${this.name}`,
      protocolVersion: this.options.protocolVersion,
      keepAlive: 10,
      transport,
      will: { topic: this.topics.status, payload: 'offline', qos: 1, retain: true },
    });
    this.client = client;
    const commands = await client.subscribe(this.topics.cmd, { qos: 1 });
    await client.publish(this.topics.status, 'online', { qos: 1, retain: true });
    this.timer = setInterval(() => this.tick(), this.options.period);
    void (async () => {
      for await (const message of commands) {
        let command: Command | undefined;
        try {
          command = message.json() as Command;
        } catch {
          // Not JSON: answered as an unknown command below.
        }
        void this.answer(client, command, message.properties ?? {}).catch(() => {});
      }
    })().catch(() => {});
  }

  /** Drops the connection without DISCONNECT (the broker then publishes the will) and stops. */
  crash(): void {
    this.stopTimer();
    this.transport?.destroy();
    void this.client?.end({ force: true }).catch(() => {});
    this.client = undefined;
  }

  /** Says goodbye properly: status offline, then DISCONNECT (no will). */
  async stop(): Promise<void> {
    this.stopTimer();
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    await client.publish(this.topics.status, 'offline', { qos: 1, retain: true }).catch(() => {});
    await client.end().catch(() => {});
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const client = this.client;
    if (client === undefined) return;
    const r = this.reading;
    const drift = (value: number, step: number, min: number, max: number) =>
      Math.min(max, Math.max(min, value + (Math.random() - 0.5) * step));
    // Now and then a device runs hot, to raise an alarm.
    const spike = Math.random() < 0.01 ? 12 : 0;
    this.reading = {
      t: Date.now(),
      temperature: drift(r.temperature, 0.8, 10, 40) + spike,
      humidity: drift(r.humidity, 2, 20, 95),
      battery: Math.max(5, r.battery - Math.random() * 0.05),
    };
    const properties = this.options.protocolVersion === 5 ? { userProperties: [['firmware', '1.4.2'] as const] } : undefined;
    const round = (x: number) => Math.round(x * 100) / 100;
    const payload: Telemetry = {
      t: this.reading.t,
      temperature: round(this.reading.temperature),
      humidity: round(this.reading.humidity),
      battery: round(this.reading.battery),
    };
    client.publish(this.topics.telemetry, JSON.stringify(payload), { qos: 0, properties }).catch(() => {});
    this.checkAlarm(client, 'temperature', this.reading.temperature > LIMITS.temperature, LIMITS.temperature);
    this.checkAlarm(client, 'humidity', this.reading.humidity > LIMITS.humidity, LIMITS.humidity);
    this.checkAlarm(client, 'battery', this.reading.battery < LIMITS.battery, LIMITS.battery);
    if (spike > 0) this.reading.temperature -= spike;
  }

  private checkAlarm(client: MqttClient, metric: Alarm['metric'], over: boolean, limit: number): void {
    if (!over) {
      this.alarmed.delete(metric);
      return;
    }
    if (this.alarmed.has(metric)) return;
    this.alarmed.add(metric);
    const alarm: Alarm = { t: Date.now(), metric, value: Number(this.reading[metric].toFixed(1)), limit };
    client.publish(this.topics.alarm, JSON.stringify(alarm), { qos: 1 }).catch(() => {});
  }

  private async answer(
    client: MqttClient,
    command: Command | undefined,
    properties: { responseTopic?: string; correlationData?: Uint8Array },
  ): Promise<void> {
    const results: Record<Command['command'], string> = {
      blink: 'LED blinked 3 times',
      report: `temperature ${this.reading.temperature.toFixed(1)} °C, battery ${this.reading.battery.toFixed(0)} %`,
      reboot: 'rebooting in 5 s (simulated)',
    };
    const known = typeof command === 'object' && command !== null && command.command in results;
    const reply: CommandReply = {
      id: String(command?.id ?? ''),
      device: this.name,
      ok: known,
      result: known ? results[command.command] : 'unknown command',
      t: Date.now(),
    };
    if (properties.responseTopic !== undefined) {
      // MQTT 5 request/response: answer on the Response Topic with the Correlation Data.
      await client.publish(properties.responseTopic, JSON.stringify(reply), {
        qos: 1,
        properties: { correlationData: properties.correlationData, userProperties: [['device', this.name] as const] },
      });
    } else if (typeof command?.replyTo === 'string') {
      await client.publish(command.replyTo, JSON.stringify(reply), { qos: 1 });
    }
  }
}
