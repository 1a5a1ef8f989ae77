// Frame-time benchmark of the canvas animation in headless Chromium (issue 6: 60 fps
// with 1,000 records in flight). Not a test: it prints numbers for docs/perf.md.
//
//   node bench/frame.mjs            (or: npm run bench:frame)
//   RATE=10000 SPEED=1 SECONDS=10 node bench/frame.mjs
//
// It drives the built site (bash scripts/build.sh first) through its own controls to a
// run with at least MIN_DRAWN records drawn on the canvas, then for SECONDS records:
// - every requestAnimationFrame interval (what the screen would show),
// - each frame's main-thread time, from the frame's start to a message posted at its
//   end, which runs after style, layout and paint (the honest "can it hold 60 fps"
//   number when headless Chromium paces rAF differently from a real display),
// - the app's own work per frame (simulation + Yew update + canvas paint) and the
//   records it drew, from the app's frame hook (window.klFrameHook, absent normally),
// - DOM mutations under #app-root per frame (MutationObserver): the Yew tree must not
//   re-render thousands of nodes per frame.
import { loadavg, cpus } from 'node:os';
import { withPage } from '../tests/e2e/helpers.mjs';

const RATE = process.env.RATE ?? '10000';
const SPEED = process.env.SPEED ?? '1';
const SECONDS = Number(process.env.SECONDS ?? 10);
const MIN_DRAWN = Number(process.env.MIN_DRAWN ?? 1000);
const REDUCED = process.env.REDUCED === '1';

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const stats = (xs) => ({ p50: pct(xs, 50), p95: pct(xs, 95), p99: pct(xs, 99), max: Math.max(...xs) });
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');

/** requestAnimationFrame intervals over `seconds` in the page as it is. */
const rafIntervals = (page, seconds) => page.evaluate((seconds) => new Promise((done) => {
  const stamps = [];
  const end = performance.now() + seconds * 1000;
  const tick = (ts) => {
    stamps.push(ts);
    if (performance.now() < end) requestAnimationFrame(tick);
    else done(stamps.slice(1).map((t, i) => t - stamps[i]));
  };
  requestAnimationFrame(tick);
}), seconds);

await withPage(async ({ page, url, errors }) => {
  // The machine's own pace first: an empty page, nothing but the frame loop.
  await page.setContent('<!doctype html><title>idle</title>');
  const idle = await rafIntervals(page, 3);
  await page.addInitScript(() => {
    window.__klFrames = [];
    window.klFrameHook = (...frame) => window.__klFrames.push(frame);
  });
  if (REDUCED) await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(url);
  await page.waitForSelector('#app-root .stage-svg');
  await page.click('#play'); // pause while setting up: each change replays from t = 0
  await page.selectOption('#rate', RATE);
  await page.selectOption('#speed', SPEED);
  await page.click('#play');
  const hooked = await page
    .waitForFunction((min) => window.__klFrames.some(([, d]) => d >= min), MIN_DRAWN, { timeout: 30_000 })
    .then(() => true, () => false);
  if (!hooked) console.log(`warning: never saw ${MIN_DRAWN} records drawn (app without the frame hook?)`);

  const r = await page.evaluate(async (seconds) => {
    window.__klFrames = [];
    const root = document.getElementById('app-root');
    let mutations = 0, nodes = 0;
    const perFrame = [];
    const observer = new MutationObserver((list) => {
      mutations += list.length;
      for (const m of list) nodes += m.addedNodes.length + m.removedNodes.length;
    });
    observer.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
    const stamps = [], busy = [];
    const channel = new MessageChannel();
    let frameStart = 0;
    channel.port1.onmessage = () => busy.push(performance.now() - frameStart);
    const end = performance.now() + seconds * 1000;
    await new Promise((done) => {
      const tick = (ts) => {
        stamps.push(ts);
        frameStart = ts;
        perFrame.push([mutations, nodes]);
        mutations = 0; nodes = 0;
        channel.port2.postMessage(0);
        if (performance.now() < end) requestAnimationFrame(tick); else done();
      };
      requestAnimationFrame(tick);
    });
    observer.disconnect();
    const clock = document.getElementById('clock')?.textContent;
    return { stamps, busy, perFrame: perFrame.slice(1), app: window.__klFrames, clock };
  }, SECONDS);

  const intervals = r.stamps.slice(1).map((t, i) => t - r.stamps[i]);
  const duration = (r.stamps.at(-1) - r.stamps[0]) / 1000;
  const fps = intervals.length / duration;
  const over = intervals.filter((d) => d > 16.7 * 1.25).length / intervals.length;
  // The app reports its animation frames and, apart, its HTML re-renders (5th value 1),
  // which run in a task of their own between frames.
  const frames = r.app.filter(([, , , , html]) => html !== 1);
  const renders = r.app.filter(([, , , , html]) => html === 1);
  const work = frames.map(([w]) => w);
  const sim = stats(frames.map(([, , s]) => s));
  const paint = stats(frames.map(([, , , p]) => p));
  const update = stats(frames.map(([w, , s, p]) => w - s - p));
  const html = stats(renders.map(([w]) => w));
  const drawn = frames.map(([, d]) => d);
  const muts = r.perFrame.map(([m]) => m);
  const muNodes = r.perFrame.map(([, n]) => n);
  const busy = stats(r.busy), iv = stats(intervals), w = stats(work), dr = stats(drawn);
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores (${cpus()[0].model})`);
  console.log(`idle page first: ${(idle.length / (idle.reduce((a, b) => a + b, 0) / 1000)).toFixed(1)} fps, ${(100 * idle.filter((d) => d > 16.7 * 1.25).length / idle.length).toFixed(1)} % of frames late`);
  console.log(`chromium headless, ${RATE} records/s, speed ${SPEED}×${REDUCED ? ', reduced motion' : ''}, ${duration.toFixed(1)} s, ${r.clock}`);
  console.log(`frames: ${intervals.length}, ${fps.toFixed(1)} fps; interval p50 ${f1(iv.p50)} p95 ${f1(iv.p95)} p99 ${f1(iv.p99)} max ${f1(iv.max)} ms; ${(over * 100).toFixed(1)} % over 16.7 ms (+25 %)`);
  console.log(`main thread per frame (rAF start → after paint): p50 ${f1(busy.p50)} p95 ${f1(busy.p95)} p99 ${f1(busy.p99)} max ${f1(busy.max)} ms`);
  console.log(`app work per frame (sim + update + paint): p50 ${f1(w.p50)} p95 ${f1(w.p95)} p99 ${f1(w.p99)} max ${f1(w.max)} ms over ${work.length} frames`);
  console.log(`  of which simulation p50 ${f1(sim.p50)} p95 ${f1(sim.p95)} p99 ${f1(sim.p99)}; canvas paint p50 ${f1(paint.p50)} p95 ${f1(paint.p95)} p99 ${f1(paint.p99)}; the rest p95 ${f1(update.p95)} ms`);
  console.log(`HTML re-renders between frames (Yew view + diff + DOM, and the ledger when due): ${renders.length}, p50 ${f1(html.p50)} p95 ${f1(html.p95)} p99 ${f1(html.p99)} max ${f1(html.max)} ms`);
  console.log(`records drawn per frame: min ${Math.min(...drawn)} p50 ${dr.p50} max ${dr.max}`);
  console.log(`DOM mutation records per frame under #app-root: p50 ${pct(muts, 50)} p95 ${pct(muts, 95)} max ${Math.max(...muts)}; nodes added/removed p50 ${pct(muNodes, 50)} max ${Math.max(...muNodes)}`);
  if (errors.length) console.log('page errors:', errors);
});
