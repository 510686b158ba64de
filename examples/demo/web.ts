/**
 * Serves the dashboard: its page and script, mqttkit's browser build, uPlot,
 * and /config.json telling the page where the broker's WebSocket is.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROWSER_IIFE } from '../../scripts/browser-build.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(here, 'dashboard/index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: path.join(here, 'dashboard/dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: path.join(here, 'dashboard/style.css'), type: 'text/css; charset=utf-8' },
  '/mqttkit.min.js': { file: BROWSER_IIFE, type: 'text/javascript; charset=utf-8' },
  '/uPlot.iife.min.js': { file: path.join(root, 'node_modules/uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/uPlot.min.css': { file: path.join(root, 'node_modules/uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export interface DashboardConfig {
  /** The broker's WebSocket URL, as the browser should reach it. */
  wsUrl: string;
  prefix: string;
  protocolVersion: 4 | 5;
  devices: string[];
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

export async function startWebServer(config: DashboardConfig, port: number, host = '127.0.0.1'): Promise<WebServer> {
  const server: Server = createServer((req, res) => {
    const route = (req.url ?? '/').split('?')[0];
    if (route === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (route === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(config));
      return;
    }
    const entry = FILES[route];
    if (entry === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    readFile(entry.file).then(
      (body) => res.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store' }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end(`missing ${path.relative(root, entry.file)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${actual}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
