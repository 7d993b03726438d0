// Usage: node imports-of.mjs <specifier>. Imports it and prints JSON: every URL resolved while
// loading it, the names it exports, and whether tfjs-core's global engine exists afterwards.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const urls = [];
port1.on('message', (u) => urls.push(u));
register('./record-imports.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
const mod = await import(process.argv[2]);
await new Promise((r) => setTimeout(r, 100));
port1.close();
console.log(JSON.stringify({ urls, exports: Object.keys(mod).sort(), tfEngine: globalThis._tfengine !== undefined }));
