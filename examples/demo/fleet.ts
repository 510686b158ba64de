/**
 * A fleet of simulated devices. Now and then one crashes (its will marks it
 * offline) and comes back a little later.
 */
import { Device } from './device.js';

export interface FleetOptions {
  url: string;
  prefix: string;
  size: number;
  protocolVersion: 4 | 5;
  /** Crash a random online device this often (ms); 0 never. */
  crashEvery: number;
  /** Bring a crashed device back after this long (ms). */
  reviveAfter: number;
  log(line: string): void;
}

export class Fleet {
  readonly devices: Device[];
  private crashTimer: ReturnType<typeof setInterval> | undefined;
  private readonly revivals = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly options: FleetOptions) {
    this.devices = Array.from(
      { length: options.size },
      (_, i) =>
        new Device({
          url: options.url,
          prefix: options.prefix,
          name: `device-${String(i + 1).padStart(2, '0')}`,
          protocolVersion: options.protocolVersion,
          period: 1000,
        }),
    );
  }

  async start(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.start()));
    if (this.options.crashEvery > 0) this.crashTimer = setInterval(() => this.crashOne(), this.options.crashEvery);
  }

  async stop(): Promise<void> {
    clearInterval(this.crashTimer);
    for (const t of this.revivals) clearTimeout(t);
    this.revivals.clear();
    await Promise.all(this.devices.map((d) => d.stop()));
  }

  private crashOne(): void {
    const online = this.devices.filter((d) => d.online);
    if (online.length === 0) return;
    const device = online[Math.floor(Math.random() * online.length)];
    device.crash();
    this.options.log(`${device.name} lost power (its will marks it offline); back in ${this.options.reviveAfter / 1000} s`);
    const timer = setTimeout(() => {
      this.revivals.delete(timer);
      device.start().then(
        () => this.options.log(`${device.name} is back online`),
        (err: Error) => this.options.log(`${device.name} could not reconnect: ${err.message}`),
      );
    }, this.options.reviveAfter);
    this.revivals.add(timer);
  }
}
