/**
 * The demo's topic layout and messages, shared by the fleet (Node) and, by
 * convention, the dashboard (examples/demo/dashboard/dashboard.js):
 *
 *   <prefix>/<device>/telemetry  QoS 0, every second: {"t", "temperature", "humidity", "battery"}
 *   <prefix>/<device>/alarm      QoS 1: {"t", "metric", "value", "limit"}
 *   <prefix>/<device>/status     QoS 1, retained: "online" | "offline" (the last will)
 *   <prefix>/<device>/cmd        QoS 1: {"command", "id", "replyTo"?}
 *   replies                      MQTT 5: to the Response Topic with the Correlation Data;
 *                                MQTT 3.1.1: to "replyTo" with the same "id"
 */
export interface Telemetry {
  t: number;
  temperature: number;
  humidity: number;
  battery: number;
}

export interface Alarm {
  t: number;
  metric: keyof Omit<Telemetry, 't'>;
  value: number;
  limit: number;
}

export interface Command {
  command: 'blink' | 'report' | 'reboot';
  id: string;
  /** MQTT 3.1.1 only (MQTT 5 uses the Response Topic property). */
  replyTo?: string;
}

export interface CommandReply {
  id: string;
  device: string;
  ok: boolean;
  result: string;
  t: number;
}

export const topics = (prefix: string, device: string) => ({
  telemetry: `${prefix}/${device}/telemetry`,
  alarm: `${prefix}/${device}/alarm`,
  status: `${prefix}/${device}/status`,
  cmd: `${prefix}/${device}/cmd`,
});
