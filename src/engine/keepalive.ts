/**
 * Keep alive (MQTT 5 §3.1.2.10, §3.12, §3.13), reasoned from elapsed time
 * rather than ticks: a throttled timer that fires late still sees the truth.
 *
 * Design: a PINGREQ goes out after Keep Alive with nothing sent
 * ([MQTT-3.1.2-20] bounds that gap) and also after Keep Alive with nothing
 * received. A client that keeps publishing into a dead link (QoS 0, or QoS 1
 * whose acks never come) never goes quiet, so it must ask. With the ping
 * timeout (default half the Keep Alive) a stall is found at most 1.5x Keep
 * Alive after the last byte received. Silence alone is never a verdict: only
 * a PINGREQ left unanswered for the ping timeout is.
 */
import { StateError } from '../errors.js';
import type { Link } from './link.js';

export class KeepAlive {
  private keepAliveMs = 0;
  private outstanding = false;
  /** When the outstanding PINGREQ left, and whether a late ping timeout already asked again. */
  private sentAt = 0;
  private retried = false;

  constructor(
    private readonly link: Link,
    /** The pingTimeout option (ms), if the user gave one. */
    private readonly pingTimeoutOption: number | undefined,
    /** Called when a PINGREQ went unanswered: the link is dead. */
    private readonly onDead: (error: StateError) => void,
  ) {}

  /** Starts keep alive on a new connection (after CONNACK); 0 turns it off. */
  start(keepAliveMs: number): void {
    this.keepAliveMs = keepAliveMs;
    if (keepAliveMs > 0) this.schedule();
  }

  /** Forgets the connection's ping (the engine clears the timers). */
  stop(): void {
    this.outstanding = false;
    this.retried = false;
  }

  /** Any packet proves the link alive, even one queued ahead of a late PINGRESP. */
  packetReceived(): void {
    if (!this.outstanding) return;
    this.outstanding = false;
    this.retried = false;
    this.link.push({ type: 'clear-timer', name: 'ping-timeout' });
  }

  /** The 'keepalive' timer fired. */
  onTimer(): void {
    const link = this.link;
    const k = this.keepAliveMs;
    if (link.now - link.lastSent >= k || (link.now - link.lastReceived >= k && !this.outstanding)) {
      // With a PINGREQ already waiting, another one only keeps the send gap within Keep Alive.
      if (this.outstanding) link.send({ type: 'pingreq' });
      else this.ping();
    }
    this.schedule();
  }

  /** The 'ping-timeout' timer fired. */
  onPingTimeout(): void {
    if (!this.outstanding) return;
    const waited = this.link.now - this.sentAt;
    const timeout = this.pingTimeoutMs;
    if (waited - timeout > timeout / 2 && !this.retried) {
      // The timer ran late (a throttled tab, a suspended laptop, a blocked event loop): the PINGRESP
      // may be sitting unread behind it. Ask again and give the broker its whole ping timeout.
      this.retried = true;
      this.ping();
      return;
    }
    this.onDead(new StateError(`keepalive: no PINGRESP within ${waited} ms`, 'MQTTKIT_ERR_KEEPALIVE_TIMEOUT', { retryable: true }));
  }

  private get pingTimeoutMs(): number {
    return this.pingTimeoutOption ?? this.keepAliveMs / 2;
  }

  private ping(): void {
    this.link.send({ type: 'pingreq' });
    this.outstanding = true;
    this.sentAt = this.link.now;
    this.link.push({ type: 'set-timer', name: 'ping-timeout', delay: this.pingTimeoutMs });
  }

  /** Arms the keepalive timer for the earlier of the send and receive deadlines. */
  private schedule(): void {
    const link = this.link;
    const k = this.keepAliveMs;
    // While a PINGREQ waits, silence is the ping timeout's business, not ours.
    const due = this.outstanding ? link.lastSent + k : Math.min(link.lastSent, link.lastReceived) + k;
    link.push({ type: 'set-timer', name: 'keepalive', delay: Math.max(0, due - link.now) });
  }
}
