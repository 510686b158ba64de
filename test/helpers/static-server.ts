/**
 * A static file server for the browser tests, on 127.0.0.1 and a free port:
 * URL path prefixes map to folders (nothing outside them is served) and, for
 * generated files, fixed paths to contents. No caching, so a rebuilt dist/
 * is what the next page load gets.
 *
 *   const pages = await serveStatic({ '/dist/': path.join(ROOT, 'dist'), '/pages/': PAGES });
 *   await page.goto(`${pages.origin}/pages/iife.html`);
 *   await pages.close();
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

export interface StaticServer {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** Serves `routes` (URL prefix -> folder; a folder's `/` is its index.html) and `files` (URL path -> contents). */
export async function serveStatic(routes: Record<string, string>, files: Record<string, string> = {}): Promise<StaticServer> {
  const server = createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const headers = (name: string) => ({
      'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    const generated = files[pathname];
    if (generated !== undefined) {
      res.writeHead(200, headers(pathname)).end(generated);
      return;
    }
    const prefix = Object.keys(routes).find((p) => pathname.startsWith(p));
    const base = prefix === undefined ? undefined : routes[prefix];
    const file = base === undefined || prefix === undefined ? undefined : path.join(base, pathname.slice(prefix.length) || 'index.html');
    if (base === undefined || file === undefined || !file.startsWith(`${base}${path.sep}`)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, headers(file)).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the static server has no port');
  return {
    server,
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
