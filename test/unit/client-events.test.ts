/**
 * The client's typed events: a listener that throws is the application's bug,
 * reported on its own (as an uncaught exception, a tick later) without
 * breaking the protocol or the other listeners; `once` listeners can be
 * removed with `off`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TypedEmitter } from '../../src/client/events.js';

class Emitter extends TypedEmitter<{ message: [string] }> {
  fire(text: string): void {
    this.emit('message', text);
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('TypedEmitter', () => {
  it('a throwing listener does not stop the others, and its error is rethrown asynchronously, not to the emitter', () => {
    const deferred: (() => void)[] = [];
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => void deferred.push(callback));
    const e = new Emitter();
    const seen: string[] = [];
    const bug = new Error('bug in the app');
    e.on('message', () => {
      throw bug;
    });
    e.on('message', (m) => seen.push(m));
    expect(() => e.fire('hello')).not.toThrow();
    expect(seen).toEqual(['hello']);
    expect(deferred).toHaveLength(1);
    expect(() => deferred[0]()).toThrow(bug);
  });

  it('off() removes a listener added with once()', () => {
    const e = new Emitter();
    const seen: string[] = [];
    const listener = (m: string) => seen.push(m);
    e.once('message', listener);
    e.off('message', listener);
    e.fire('x');
    expect(seen).toEqual([]);
    expect(e.listenerCount('message')).toBe(0);
  });

  it('a once() listener runs once', () => {
    const e = new Emitter();
    const seen: string[] = [];
    e.once('message', (m) => seen.push(m));
    e.fire('a');
    e.fire('b');
    expect(seen).toEqual(['a']);
  });
});
