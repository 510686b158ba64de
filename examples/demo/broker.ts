/**
 * The demo's embedded broker: aedes (an MQTT 3.1.1 broker written for Node),
 * in this process, over TCP and over WebSocket (for the browser dashboard).
 */
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';

export interface EmbeddedBroker {
  /** mqtt://127.0.0.1:port */
  url: string;
  /** ws://127.0.0.1:port/mqtt */
  wsUrl: string;
  close(): Promise<void>;
}

function listen(server: Server | ReturnType<typeof createHttpServer>, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Starts aedes on `port` (TCP) and `wsPort` (WebSocket, path /mqtt); 0 picks free ports. */
export async function startEmbeddedBroker(port: number, wsPort: number, host = '127.0.0.1'): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const tcp = createServer(aedes.handle);
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect with a WebSocket client\n');
  });
  const wss = new WebSocketServer({ server: http, path: '/mqtt' });
  wss.on('connection', (socket, request) => aedes.handle(createWebSocketStream(socket), request));
  const tcpPort = await listen(tcp, port, host);
  const httpPort = await listen(http, wsPort, host);
  return {
    url: `mqtt://${host}:${tcpPort}`,
    wsUrl: `ws://${host}:${httpPort}/mqtt`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      tcp.close();
      http.close();
      http.closeAllConnections();
    },
  };
}
