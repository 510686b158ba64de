/**
 * Write-ahead with a store that commits asynchronously (IndexedDB): a batch
 * leaves only once its store records are durable, batches leave in order,
 * QoS 0 publishes settle only once written, and batches for a connection that
 * is gone are never written.
 */
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/client/connection.js';
import type { Transport, TransportFactory } from '../../src/transport/types.js';

function setup() {
  const written: string[] = [];
  const commits: (() => void)[] = [];
  let flushed = 0;
  let asyncCommits = true;
  const transport: Transport = {
    encrypted: false,
    write(chunks) {
      for (const c of chunks) written.push(new TextDecoder().decode(c));
      return true;
    },
    end() {},
    destroy() {},
  };
  const factory: TransportFactory = async () => transport;
  let opened!: () => void;
  const open = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const connection = new Connection(
    factory,
    { url: new URL('mqtt://127.0.0.1') },
    {
      onOpen: () => opened(),
      onData() {},
      onClose() {},
      onFlushed: () => void flushed++,
      onWritable() {},
      beforeWrite: () =>
        asyncCommits
          ? new Promise<void>((resolve) => {
              commits.push(resolve);
            })
          : undefined,
    },
  );
  connection.open();
  const bytes = (s: string) => new TextEncoder().encode(s);
  return {
    connection,
    open,
    written,
    commits,
    flushed: () => flushed,
    send(s: string) {
      connection.write(bytes(s));
      connection.flush();
    },
    syncCommits() {
      asyncCommits = false;
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('write-ahead with an asynchronous store commit', () => {
  it('holds each batch until its commit settles, and writes batches in order', async () => {
    const t = setup();
    await t.open;
    t.send('a');
    t.send('b');
    expect(t.written).toEqual([]);
    expect(t.connection.pendingWrites).toBe(2);
    t.commits[1]();
    await tick();
    expect(t.written).toEqual([]); // b waits for a
    t.commits[0]();
    await tick();
    expect(t.written).toEqual(['a', 'b']);
    expect(t.connection.pendingWrites).toBe(0);
  });

  it('signals "written" (QoS 0 settles) only when nothing is held any more', async () => {
    const t = setup();
    await t.open;
    const before = t.flushed();
    t.send('a');
    expect(t.flushed()).toBe(before);
    t.commits[0]();
    await tick();
    expect(t.flushed()).toBe(before + 1);
  });

  it('a batch whose commit returns nothing still waits behind a held one', async () => {
    const t = setup();
    await t.open;
    t.send('a');
    t.syncCommits();
    t.send('b');
    expect(t.written).toEqual([]);
    t.commits[0]();
    await tick();
    expect(t.written).toEqual(['a', 'b']);
  });

  it('batches held when the connection closes are never written', async () => {
    const t = setup();
    await t.open;
    t.send('a');
    t.connection.close(undefined);
    t.commits[0]();
    await tick();
    expect(t.written).toEqual([]);
  });
});
