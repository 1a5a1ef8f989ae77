// Time travel: step forward N then back N returns to the identical picture, and scrubbing
// to a moment shows exactly what a fresh run shows there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withPage, ARTIFACTS, snapshot, seek, painted } from './helpers.mjs';

test('step back undoes step forward; scrubbing is exact', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.selectOption('#replication-factor', '3');
    await seek(page, 1234);
    await page.waitForFunction(() => document.querySelector('#clock').textContent.includes('1.234'));
    const before = await snapshot(page);
    for (let i = 0; i < 8; i++) await page.click('#step');
    const forward = await snapshot(page);
    assert.notEqual(forward.clock + forward.events, before.clock + before.events, 'the steps moved the run');
    for (let i = 0; i < 8; i++) await page.click('#step-back');
    await page.waitForTimeout(50);
    const back = await snapshot(page);
    assert.equal(back.clock, before.clock);
    assert.equal(back.events, before.events);
    assert.equal(back.html, before.html, 'the same picture after 8 steps back');
    assert.equal(back.canvas, before.canvas, 'the same particles');

    // Step back without stepping forward first: to the moment before the last event.
    await page.click('#step-back');
    await page.click('#step');
    const again = await snapshot(page);
    assert.equal(again.events, before.events, 'back then forward returns to the same events');

    // Scrub forward from 0 (a fresh run paused at t) and backward from later: the same.
    await seek(page, 4000);
    await seek(page, 2500);
    const fromLater = await snapshot(page);
    await page.click('#restart');
    await page.click('#play');
    await seek(page, 2500);
    const fresh = await snapshot(page);
    assert.equal(fromLater.html, fresh.html);
    assert.equal(fromLater.events, fresh.events);
    assert.equal(fromLater.canvas, fresh.canvas);

    // The keys: → steps, ← steps back, space plays and pauses.
    const k0 = await snapshot(page);
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    assert.notEqual((await snapshot(page)).events, k0.events, '→ steps');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
    await page.waitForTimeout(50);
    assert.equal((await snapshot(page)).html, k0.html, '← undoes →');
    await page.locator('body').focus();
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.querySelector('#play').textContent.includes('Pause'));
    await page.screenshot({ path: `${ARTIFACTS}timetravel.png` });
    assert.deepEqual(errors, []);
  });
});

test('at the end of the run Step ▸ is disabled and says so; ▶ Play runs it again', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    const end = await page.getAttribute('#scrubber', 'max');
    await seek(page, end);
    assert.equal(await page.isDisabled('#step'), true);
    assert.match(await page.getAttribute('#step', 'title'), /the run has ended/);
    const last = await snapshot(page);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    await page.waitForTimeout(50);
    // → did nothing, so ← undoes no phantom step: it goes to before the last event.
    assert.notEqual((await snapshot(page)).events, last.events);
    assert.equal(await page.isDisabled('#step'), false);
    await seek(page, end);
    await page.click('#play');
    await page.waitForFunction(() => !document.querySelector('#step').disabled);
    assert.ok(parseFloat((await page.locator('#clock').textContent()).slice(4)) < 60, 'from the start');
    assert.deepEqual(errors, []);
  });
});

/** A `seconds`-long scenario file: 1,000 records/s over 12 partitions, RF 3, a consumer. */
function longScenario(seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-lab-e2e-'));
  const path = join(dir, 'long-run.json');
  writeFileSync(path, JSON.stringify({
    seed: 11, kafka_version: '4.0', brokers: 3,
    topics: [{ name: 'orders', partitions: 12, replication_factor: 3 }],
    producers: [{ name: 'p1', config: {} }],
    consumers: [{ name: 'c1', topics: ['orders'] }],
    actions: [{ at_ms: 0, action: 'send', producer: 'p1', topic: 'orders', keys: ['a', 'b', 'c', null], value_bytes: 100, count: seconds * 1000, interval_ms: 1 }],
    until_ms: seconds * 1000,
  }));
  return path;
}

/** Loads the app and opens scenario file `file` with the picker. */
const open = async (page, url, file) => {
  await page.goto(url);
  await page.setInputFiles('#open-file-input', file);
  await page.waitForSelector('#scenario-file .file-name');
};

/** Waits until the run shows moment `t` with no replay pending, and its canvas is painted. */
const at = async (page, t) => {
  await page.waitForFunction(
    (want) => document.querySelector('#clock').textContent.startsWith(want) && !document.querySelector('#catching-up')?.textContent,
    `t = ${(t / 1000).toFixed(3)} s`, { timeout: 120_000 });
  await painted(page);
};

test('seeks back and forth in a long run start from snapshots and show what a run played straight there shows', async () => {
  const file = longScenario(60);
  let direct;
  await withPage(async ({ page, url, errors }) => {
    await open(page, url, file);
    await seek(page, 31_500);
    await at(page, 31_500);
    direct = await snapshot(page);
    assert.deepEqual(errors, []);
  });
  await withPage(async ({ page, url, errors }) => {
    await open(page, url, file);
    // Far ahead, back near the start, then to the moment from the snapshots on either side.
    for (const t of [55_000, 2_000, 40_000, 31_000, 31_500]) {
      await seek(page, t);
      await at(page, t);
    }
    const seeked = await snapshot(page);
    assert.equal(seeked.clock, direct.clock);
    assert.equal(seeked.events, direct.events);
    assert.equal(seeked.html, direct.html);
    assert.equal(seeked.canvas, direct.canvas);
    assert.deepEqual(errors, []);
  });
});

test('a setting changed late in a long run replays in slices while the picture waits, and lands on the same moment', async () => {
  const file = longScenario(120);
  let expected;
  await withPage(async ({ page, url, errors }) => {
    // The reference: the same two settings made at t = 0, then played to the moment.
    await open(page, url, file);
    await page.selectOption('#enable-idempotence', 'false');
    await page.selectOption('#acks', '1');
    await seek(page, 100_000);
    await at(page, 100_000);
    expected = await snapshot(page);
    assert.deepEqual(errors, []);
  });
  await withPage(async ({ page, url, errors }) => {
    await open(page, url, file);
    await seek(page, 100_000);
    await at(page, 100_000);
    const before = await snapshot(page);
    // A 100-second replay does not fit in one task: the old picture stays while the
    // rebuilt run catches up in tasks of its own. A second change made meanwhile builds
    // on the first (acks=1 alone would be refused with idempotence on).
    await page.selectOption('#enable-idempotence', 'false');
    await page.selectOption('#acks', '1');
    await page.waitForFunction(() => /Replaying the run/.test(document.querySelector('#catching-up').textContent));
    assert.equal(await page.inputValue('#enable-idempotence'), 'false');
    assert.equal(await page.inputValue('#acks'), '1');
    const waiting = await snapshot(page);
    assert.equal(waiting.clock, before.clock);
    assert.equal(waiting.events, before.events);
    await at(page, 100_000);
    assert.equal(await page.locator('#config-error').count(), 0);
    const after = await snapshot(page);
    assert.equal(after.clock, expected.clock);
    assert.equal(after.events, expected.events);
    assert.equal(after.canvas, expected.canvas);
    assert.notEqual(after.canvas, before.canvas);
    assert.deepEqual(errors, []);
  });
});

test('a seek far ahead of what has been run goes on in tasks, saying so, and anything done meanwhile waits for it', async () => {
  const file = longScenario(120);
  let link;
  let reached;
  await withPage(async ({ page, url, errors }) => {
    await open(page, url, file);
    // Every render the page makes on the way: the clock and the status over the stage.
    await page.evaluate(() => {
      window.renders = [];
      new MutationObserver(() => window.renders.push([
        document.querySelector('#clock').textContent,
        document.querySelector('#catching-up').textContent,
      ])).observe(document.querySelector('#app-root'), { subtree: true, childList: true, characterData: true });
      const s = document.querySelector('#scrubber');
      s.value = '110000';
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    // 110 s of records are more than a task's worth: the page renders before the run is
    // there, saying where it goes, with the scrubber where it was put.
    await page.waitForFunction(() => /Running on to the moment picked/.test(document.querySelector('#catching-up').textContent));
    assert.equal(await page.inputValue('#scrubber'), '110000');
    await page.screenshot({ path: `${ARTIFACTS}seek-running-on.png` });
    await at(page, 110_000);
    reached = await snapshot(page);
    const renders = await page.evaluate(() => window.renders);
    assert.ok(renders.some(([clock, status]) => status && !clock.startsWith('t = 110.000')), 'rendered on the way');

    // The moment reached in tasks is the one a seek from a snapshot just before shows.
    await seek(page, 109_000);
    await seek(page, 110_000);
    await at(page, 110_000);
    const again = await snapshot(page);
    assert.equal(again.clock, reached.clock);
    assert.equal(again.events, reached.events);
    assert.equal(again.html, reached.html);
    assert.equal(again.canvas, reached.canvas);
    await page.click('#share');
    link = await page.inputValue('#share-link');
    assert.deepEqual(errors, []);
  });
  // A step taken while the seek runs on (far ahead of the snapshots, at once after
  // opening) is taken where the seek goes.
  await withPage(async ({ page, url, errors }) => {
    await open(page, url, file);
    await page.evaluate(() => {
      const s = document.querySelector('#scrubber');
      s.value = '110000';
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(() => /Running on/.test(document.querySelector('#catching-up').textContent));
    await page.click('#step');
    await painted(page);
    const clock = await page.locator('#clock').textContent();
    assert.ok(Number(clock.match(/t = ([\d.]+)/)[1]) >= 110, `stepped from 110 s: ${clock}`);
    assert.equal(await page.locator('#catching-up').textContent(), '');
    assert.deepEqual(errors, []);
  });
  // A run replaced while the seek runs on (restarted, another file opened) drops the
  // seek rather than finishing it first: a step then steps the new run from its start.
  await withPage(async ({ page, url, errors }) => {
    await open(page, url, file);
    const farAhead = async () => {
      await page.evaluate(() => {
        const s = document.querySelector('#scrubber');
        s.value = '110000';
        s.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await page.waitForFunction(() => /Running on/.test(document.querySelector('#catching-up').textContent));
    };
    const stepsFromStart = async (until) => {
      await page.click('#step');
      await painted(page);
      const clock = await page.locator('#clock').textContent();
      assert.match(clock, new RegExp(`^t = 0\\.\\d+ s / ${until} s`), `stepped from the start: ${clock}`);
      assert.equal(await page.locator('#catching-up').textContent(), '');
    };
    await farAhead();
    await page.click('#restart');
    await stepsFromStart(120);
    // Restart keeps the run's snapshots (the same run), and the idle fill may since have
    // passed 110 s: the file is opened afresh, so that the next seek is far ahead again.
    await open(page, url, file);
    await farAhead();
    await page.setInputFiles('#open-file-input', longScenario(30));
    await page.waitForFunction(() => document.querySelector('#clock').textContent.endsWith('/ 30 s'));
    await stepsFromStart(30);
    assert.deepEqual(errors, []);
  });
  // A link to that moment renders the page first, then runs on to its exact picture.
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url + link.slice(link.indexOf('#')));
    await page.waitForFunction(() => /Running on/.test(document.querySelector('#catching-up')?.textContent));
    assert.equal(await page.inputValue('#scrubber'), '110000');
    await at(page, 110_000);
    const opened = await snapshot(page);
    assert.equal(opened.clock, reached.clock);
    assert.equal(opened.events, reached.events);
    // The picker's input carries an empty style once a file was set through it.
    assert.equal(opened.html, reached.html.replace(' style=""', ''));
    assert.equal(opened.canvas, reached.canvas);
    assert.deepEqual(errors, []);
  });
});
