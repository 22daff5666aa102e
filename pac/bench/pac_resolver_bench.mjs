// Throughput of pac-resolver (npm) on the shared PAC inputs.
// usage: node pac_resolver_bench.mjs NODE_MODULES_DIR DIR SECONDS -> "pac-resolver <file> <calls/s>"
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [modules, dir, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
const load = (name) => import(pathToFileURL(`${modules}/${name}/dist/index.js`).href);
const { createPacResolver } = await load('pac-resolver');
const { QuickJS } = await load('quickjs-wasi');
const qjs = await QuickJS.create({ wasm: readFileSync(`${modules}/quickjs-wasi/quickjs.wasm`) });
void createRequire;
const urls = readFileSync(`${dir}/urls.txt`, 'utf8').split(/\s+/).filter(Boolean);
for (const name of ['small.pac', 'large.pac']) {
  const find = createPacResolver(qjs, readFileSync(`${dir}/${name}`, 'utf8'));
  for (const u of urls) await find(u);
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    for (const u of urls) {
      await find(u);
      calls++;
    }
  }
  console.log(`pac-resolver ${name} ${(calls / ((performance.now() - start) / 1000)).toFixed(0)}`);
}
qjs.dispose?.();
