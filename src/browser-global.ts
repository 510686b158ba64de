/**
 * The `mqttkit` global of dist/mqttkit.min.js (for `<script>` tags): the
 * browser entry (src/browser.ts) without its opt-in extras, so that a page
 * pays only for the client. Pages that want the IndexedDB store load
 * dist/browser.js as a module, or bundle it.
 */
export * from './api.js';
export { connect, createClient } from './browser.js';
export { transportForUrl } from './transport/browser.js';
export { createWebSocketTransport, type WebSocketTransportOptions, websocketTransport } from './transport/websocket.js';
