// The charts: Kafka's metric names, paths that move as the run plays (and only when a
// metrics window closes, not on every frame), the same picture after scrubbing or
// stepping back as a fresh run paused there, and both languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS } from './helpers.mjs';

// Scrub, then wait for the charts to show the windows closed by then (the charts are a
// component of their own, rendered after the app).
const seek = async (page, t) => {
  await page.evaluate((t) => {
    const s = document.querySelector('#scrubber');
    s.value = String(t);
    s.dispatchEvent(new Event('input', { bubbles: true }));
  }, t);
  await page.waitForFunction((w) => document.querySelector('.charts').dataset.windows === w, String(Math.floor(t / 100)));
};
const charts = (page) => page.evaluate(() => document.querySelector('.charts').innerHTML);
const sendPath = (page) => page.evaluate(() => document.querySelector('#chart-record-send-rate path.line').getAttribute('d'));

const NAMES = ['record-send-rate', 'byte-rate', 'request-latency-avg', 'batch-size-avg',
  'records-per-request-avg', 'record-retry-rate', 'record-error-rate', 'InSyncReplicasCount',
  'UnderReplicatedPartitions'];

test('charts carry Kafka names and move as the run plays, once per window', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .charts .chart');
    const names = await page.locator('.chart .mono').allInnerTexts();
    for (const n of NAMES) assert.ok(names.some((t) => t.includes(n)), `${n} is shown`);
    assert.equal(await page.locator('#ledger .value').count(), 1);

    await page.selectOption('#speed', '5');
    await page.waitForFunction(() => document.querySelector('#chart-record-send-rate path.line').getAttribute('d').length > 0);
    const early = await sendPath(page);
    await page.waitForTimeout(700);
    assert.notEqual(await sendPath(page), early, 'the path grows as windows close');

    // At 0.1× a 100-ms window closes once a second of wall time: the charts change about
    // that often while the page draws every frame.
    await page.selectOption('#speed', '0.1');
    const counts = await page.evaluate(() => new Promise((resolve) => {
      let frames = 0;
      let commits = 0;
      let mutations = 0;
      let done = false;
      // One callback per task that changed the charts' DOM: one per render that changed anything.
      const observer = new MutationObserver((records) => { commits += 1; mutations += records.length; });
      observer.observe(document.querySelector('.charts'), { subtree: true, childList: true, attributes: true, characterData: true });
      const clock0 = document.querySelector('#clock').textContent;
      const loop = () => { frames += 1; if (!done) requestAnimationFrame(loop); };
      requestAnimationFrame(loop);
      setTimeout(() => {
        done = true;
        observer.disconnect();
        resolve({ frames, commits, mutations, moved: document.querySelector('#clock').textContent !== clock0 });
      }, 3000);
    }));
    console.log(`charts: ${counts.commits} updates (${counts.mutations} DOM mutations) in ${counts.frames} frames over 3 s at 0.1×`);
    assert.ok(counts.moved, 'the run played');
    assert.ok(counts.frames >= 30, `frames were drawn (${counts.frames})`);
    // 300 ms of virtual time: 3 windows close, maybe 4 with the one under way.
    assert.ok(counts.commits >= 2 && counts.commits <= 5, `the charts changed once per window (${counts.commits})`);
    await page.screenshot({ path: `${ARTIFACTS}charts-playing.png`, fullPage: true });
    assert.deepEqual(errors, []);
  });
});

test('after scrubbing or stepping back the charts equal a fresh run paused there', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .charts .chart');
    await page.selectOption('#replication-factor', '3');
    await page.click('#slow-follower-2');
    await seek(page, 9000);
    await seek(page, 4321);
    const scrubbed = await charts(page);
    await page.click('#restart');
    await page.click('#play'); // pause the fresh run
    await seek(page, 4321);
    assert.equal(await charts(page), scrubbed, 'scrubbed back = fresh run paused at 4.321 s');
    for (let i = 0; i < 12; i++) await page.click('#step');
    for (let i = 0; i < 12; i++) await page.click('#step-back');
    await page.waitForFunction(() => document.querySelector('#clock').textContent.includes('4.321'));
    await page.waitForFunction(() => document.querySelector('.charts').dataset.windows === '43');
    assert.equal(await charts(page), scrubbed, '12 steps forward and back');

    // Past replica.lag.time.max.ms (30 s), at the leader's next ISR check, the slow
    // follower has left the ISRs it was in.
    await seek(page, 50000);
    await page.waitForFunction(() => Number(document.querySelector('[data-metric="UnderReplicatedPartitions"]').textContent) > 0);
    assert.ok(await page.locator('.isr-now.err').count() > 0, 'a partition shows fewer in-sync replicas');
    await page.screenshot({ path: `${ARTIFACTS}charts-slow-follower.png`, fullPage: true });
    assert.deepEqual(errors, []);
  });
});

test('chart explanations follow the language; metric names stay Kafka\'s', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .charts .chart');
    await page.click('#play');
    const note = () => page.locator('#chart-records-per-request-avg .chart-note').innerText();
    const en = await note();
    await page.click('#lang');
    const other = await note();
    assert.notEqual(other, en);
    const [english, korean] = /[가-힣]/.test(en) ? [other, en] : [en, other];
    assert.match(korean, /[가-힣]/);
    assert.doesNotMatch(english, /[가-힣]/);
    assert.match(korean, /linger\.ms/, 'the property name stays as Kafka spells it');
    assert.equal(await page.locator('#chart-records-per-request-avg .chart-name').innerText(), 'records-per-request-avg');
    assert.deepEqual(errors, []);
  });
});

test('charts fit a 768-pixel-wide window', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .charts .chart');
    await seek(page, 20000);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px)`);
    await page.locator('.charts-wrap').screenshot({ path: `${ARTIFACTS}charts-768.png` });
    assert.deepEqual(errors, []);
  }, { width: 768, height: 1000 });
});
