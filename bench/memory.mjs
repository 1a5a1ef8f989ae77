// The app's memory in headless Chromium (issue 8: memory bounded however long a run
// plays). Not a test: it prints numbers for docs/perf.md.
//
//   node bench/memory.mjs              (or: npm run bench:memory; bash scripts/build.sh first)
//   RATE=10000 RETENTION_S=5 RUN_S=60 node bench/memory.mjs   (RETENTION_S=0: Kafka's 7 days)
//
// A scenario file as benches/memory.rs plays natively (3 brokers, RF 3, 12 partitions,
// acks=all, linger.ms=5, 100-byte values, RATE records/s, one consumer, retention keeping
// about RETENTION_S s of log; RUN_S of virtual time: the app plays files of at most
// 600,000 records, a minute at 10,000/s) is opened with the file picker and played to its
// end in one seek; then the app is left idle for IDLE_S while it snapshots the whole run
// for seeking. At each stage: the wasm module's linear memory (which only grows: its
// high-water mark) and the JS heap.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';

const RATE = Number(process.env.RATE ?? 10_000);
const RETENTION_S = Number(process.env.RETENTION_S ?? 5);
const RUN_S = Number(process.env.RUN_S ?? 60);
const IDLE_S = Number(process.env.IDLE_S ?? 60);
const ARGS = [
  '--no-sandbox', '--headless=new', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  '--enable-precise-memory-info',
];

function scenarioFile() {
  const senders = Math.max(1, Math.round(RATE / 1000));
  const ms = RUN_S * 1000;
  const retention = RETENTION_S * 1000;
  const actions = Array.from({ length: senders }, () => ({
    at_ms: 0, action: 'send', producer: 'p', topic: 't', key: null,
    value_bytes: 100, count: ms, interval_ms: 1,
  }));
  const scenario = {
    seed: 1, kafka_version: '4.0', brokers: 3,
    topics: [{
      name: 't', partitions: 12, replication_factor: 3,
      config: retention ? { 'segment.ms': String(retention / 5), 'retention.ms': String(retention) } : {},
    }],
    broker_config: retention ? {
      'log.retention.check.interval.ms': String(retention / 2),
      'log.initial.task.delay.ms': String(retention / 2),
    } : {},
    producers: [{ name: 'p', config: { acks: 'all', 'linger.ms': '5' } }],
    consumers: [{ name: 'c', topics: ['t'] }],
    actions, until_ms: ms,
  };
  const path = join(mkdtempSync(join(tmpdir(), 'kafka-lab-bench-')), 'memory.json');
  writeFileSync(path, JSON.stringify(scenario));
  return path;
}

const mb = (bytes) => (bytes / 1048576).toFixed(0);

const server = await startServer({ port: 0 });
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  // The module's memory, caught as the page instantiates it.
  await page.addInitScript(() => {
    const keep = (result) => {
      const exports = (result.instance ?? result).exports;
      if (exports?.memory) window.__wasmMemory = exports.memory;
      return result;
    };
    const streaming = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = (...a) => streaming(...a).then(keep);
    const plain = WebAssembly.instantiate;
    WebAssembly.instantiate = (...a) => plain(...a).then(keep);
  });
  await page.goto(url);
  await page.waitForSelector('#app-root .stage-svg');
  await page.click('#play');
  const measure = async (stage) => {
    const [wasm, js] = await page.evaluate(() => [
      window.__wasmMemory?.buffer.byteLength ?? NaN,
      performance.memory?.usedJSHeapSize ?? NaN,
    ]);
    console.log(`| ${stage} | ${mb(wasm)} MB | ${mb(js)} MB |`);
  };
  console.log(`${RATE} records/s, retention.ms ${RETENTION_S} s, ${RUN_S} s of virtual time`);
  console.log('| stage | wasm memory | JS heap |');
  console.log('|---|---|---|');
  await measure('loaded (the default workload at t = 0)');
  await page.setInputFiles('#open-file-input', scenarioFile());
  await page.waitForSelector('#scenario-file .file-name', { timeout: 120_000 });
  await measure('scenario opened');
  const started = Date.now();
  await page.evaluate((t) => {
    const s = document.querySelector('#scrubber');
    s.value = String(t);
    s.dispatchEvent(new Event('input', { bubbles: true }));
  }, RUN_S * 1000);
  await page.waitForFunction(
    (want) => document.querySelector('#clock').textContent.startsWith(want),
    `t = ${RUN_S.toFixed(3)} s`, { timeout: 900_000 });
  const played = (Date.now() - started) / 1000;
  await measure(`played to the end in one seek (${played.toFixed(0)} s of wall time)`);
  await page.waitForTimeout(IDLE_S * 1000);
  await measure(`after ${IDLE_S} s idle (snapshots taken across the run)`);
} finally {
  await browser.close();
  server.close();
}
