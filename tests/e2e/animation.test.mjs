// The canvas animation: records travel from send() into the accumulator and produce
// requests cross the wire as virtual time moves; with prefers-reduced-motion the same
// records and requests are drawn where they are, without trails or gliding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS, seek } from './helpers.mjs';

/** Painted pixels in a box of the stage's 1200×540 layout space: count and mean x. */
const ink = (page, [x0, x1, y0, y1]) => page.evaluate(([x0, x1, y0, y1]) => {
  const c = document.querySelector('canvas.particles');
  const k = c.width / 1200;
  const [px, py] = [Math.round(x0 * k), Math.round(y0 * k)];
  const [w, h] = [Math.round((x1 - x0) * k), Math.round((y1 - y0) * k)];
  const data = c.getContext('2d').getImageData(px, py, w, h).data;
  let n = 0, sx = 0;
  for (let i = 3; i < data.length; i += 4) {
    if (data[i] > 128) { n++; sx += ((i - 3) / 4) % w; }
  }
  return { n, x: n ? x0 + sx / n / k : null };
}, [x0, x1, y0, y1]);

// Layout (web/src/layout.rs): the send() track runs at y = 351 from the app box to the
// partitioner; the wires run from x = 816 to 932; records enter their row at x = 464.
const TRACK = [130, 380, 340, 362];
const WIRE = [820, 930, 70, 528];
const ROW_ENTRY = [455, 473, 70, 528];

/** Moments t0..t0+n (ms) with what the canvas shows in each region. */
async function film(page, t0, n) {
  const frames = [];
  for (let t = t0; t < t0 + n; t++) {
    await seek(page, t);
    await page.waitForFunction((t) => document.querySelector('#clock').textContent.includes((t / 1000).toFixed(3)), t);
    frames.push({ t, track: await ink(page, TRACK), wire: await ink(page, WIRE), entry: await ink(page, ROW_ENTRY) });
  }
  return frames;
}

test('records and produce requests move along their paths as time moves', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause: the scrubber sets each moment
    await page.selectOption('#latency', '50');
    const frames = await film(page, 2000, 40);
    const onTrack = frames.filter((f) => f.track.n > 0);
    assert.ok(onTrack.length >= 10, `records on the send() track (${onTrack.length} of 40 moments)`);
    // A record on the track one moment is further along (right) the next, or has arrived.
    const moved = onTrack.some((f, i) => {
      const next = frames.find((g) => g.t === f.t + 1);
      return next && next.track.n > 0 && next.track.x !== f.track.x;
    });
    assert.ok(moved, 'a record moves along the track between two moments');
    const onWire = frames.filter((f) => f.wire.n > 0);
    assert.ok(onWire.length >= 10, `produce requests on the wire (${onWire.length} of 40 moments)`);
    const advancing = onWire.filter((f) => {
      const next = frames.find((g) => g.t === f.t + 1);
      return next && next.wire.n > 0 && next.wire.x > f.wire.x;
    });
    assert.ok(advancing.length >= 3, `a request advances towards the broker (${advancing.length})`);
    await seek(page, onWire[0].t);
    await page.screenshot({ path: `${ARTIFACTS}animation-request.png` });
    assert.deepEqual(errors, []);
  });
});

test('reduced motion: records and requests drawn where they are, without trails', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play');
    await page.selectOption('#latency', '50');
    const frames = await film(page, 2000, 40);
    assert.ok(frames.every((f) => f.track.n === 0), 'nothing travels along the send() track');
    assert.ok(frames.filter((f) => f.entry.n > 0).length >= 10, 'records shown at their partition row');
    const onWire = frames.filter((f) => f.wire.n > 0);
    assert.ok(onWire.length >= 10, `requests still shown on the wire (${onWire.length})`);
    // A request in flight stays put from one moment to the next (it jumps on arrival).
    const still = onWire.filter((f) => {
      const next = frames.find((g) => g.t === f.t + 1);
      return next && next.wire.n === f.wire.n;
    });
    assert.ok(still.length >= 5 && still.every((f) => {
      const next = frames.find((g) => g.t === f.t + 1);
      return Math.abs(next.wire.x - f.wire.x) < 0.01;
    }), 'requests do not glide');
    await page.screenshot({ path: `${ARTIFACTS}animation-reduced-motion.png` });
    assert.deepEqual(errors, []);
  });
});
