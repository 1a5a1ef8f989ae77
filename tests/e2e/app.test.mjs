// The built site in headless chromium: it loads without errors, animates, and a
// changed option has a visible effect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS, seek, settled } from './helpers.mjs';

const count = (page, sel) => page.locator(sel).count();
// A chart's current value (the last closed metrics window) or a total beside it.
const metric = async (page, name) =>
  Number((await page.locator(`[data-metric="${name}"]`).innerText()).replace(/[^\d.]/g, ''));
test('loads, plays and reacts to partitions and linger.ms', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    assert.equal(await count(page, '.acc-row'), 3, 'three partitions by default');
    assert.equal(await count(page, '.broker'), 3, 'three brokers');

    // It plays: records are sent and acknowledged as virtual time advances.
    await page.waitForFunction(() => Number(document.querySelector('#send-count')?.textContent) > 3);
    await page.selectOption('#speed', '1');
    await page.waitForTimeout(800);
    await page.screenshot({ path: `${ARTIFACTS}app-playing.png` });

    // More partitions: more accumulator rows, and keyed records land in new places.
    await page.selectOption('#partitions', '6');
    await settled(page);
    assert.equal(await count(page, '.acc-row'), 6);
    assert.equal(await count(page, '.broker .log'), 6, 'six leader replicas across the brokers');

    // linger.ms=0 vs 500 at 1,000 records/s: fewer records per request without linger.
    await page.click('#play'); // pause: compare at the same virtual moment
    await page.selectOption('#rate', '1000');
    await page.selectOption('#batch-size', '16384');
    await page.selectOption('#linger-ms', '0');
    await seek(page, 3000); // the charts' measure: the last second's windows
    const eager = await metric(page, 'records-per-request-avg');
    await page.selectOption('#linger-ms', '500');
    const lazy = await metric(page, 'records-per-request-avg');
    assert.ok(lazy > eager, `linger.ms=500 batches more per request (${lazy} vs ${eager})`);

    // Version defaults: 2.8 producers are not idempotent unless asked to be.
    await page.selectOption('#kafka-version', '2.8');
    await page.waitForSelector('.facts li:has-text("enable.idempotence: off in 2.8.2")');
    await page.screenshot({ path: `${ARTIFACTS}app-after-edits.png` });
    assert.deepEqual(errors, []);
  });
});

test('stays usable at a 768-pixel-wide window and on a phone', async () => {
  // A phone: the header's brand and lesson picker wrap instead of widening the page.
  for (const [width, height] of [[768, 1000], [360, 780]]) {
    await withPage(async ({ page, url, errors }) => {
      await page.goto(`${url}?lesson=transactions`);
      await page.waitForSelector('#app-root .stage-svg');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at ${width} px (${overflow}px)`);
      await page.screenshot({ path: `${ARTIFACTS}app-${width}.png`, fullPage: true });
      assert.deepEqual(errors, []);
    }, { width, height });
  }
});

test('KAFKA-9965: RoundRobinPartitioner in 3.8 starves every other partition', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause; settings replay to the moment on screen
    // Records 100 ms apart with linger.ms=0: each one opens a new batch.
    await page.selectOption('#kafka-version', '3.8');
    await page.selectOption('#partitions', '2');
    await page.selectOption('#rate', '10');
    await page.selectOption('#linger-ms', '0');
    await page.selectOption('#partitioner-class', 'org.apache.kafka.clients.producer.RoundRobinPartitioner');
    await page.selectOption('#speed', '20');
    await page.click('#play');
    await page.waitForFunction(() => Number(document.querySelector('#send-count')?.textContent) >= 20);
    await page.click('#play');
    const leo = async (p) => Number((await page.locator(`.log[data-partition="${p}"] .leo`).textContent()).match(/LEO (\d+)/)[1]);
    assert.equal(await leo(0), 0, 'partition 0 never gets a record');
    assert.ok(await leo(1) >= 15, 'partition 1 gets them all');
    await page.waitForSelector('.facts li:has-text("KAFKA-9965 in Kafka 3.8")');
    await page.screenshot({ path: `${ARTIFACTS}app-kafka-9965.png` });

    // 4.0 has the fix: the same settings spread evenly.
    await page.selectOption('#kafka-version', '4.0');
    await page.selectOption('#linger-ms', '0');
    await page.selectOption('#partitioner-class', 'org.apache.kafka.clients.producer.RoundRobinPartitioner');
    const [a, b] = [await leo(0), await leo(1)];
    assert.ok(Math.abs(a - b) <= 1 && a > 5, `even spread in 4.0 (${a} vs ${b})`);
    assert.deepEqual(errors, []);
  });
});

test('a lost response duplicates and reorders without idempotence, never with it', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause at the start
    await page.selectOption('#enable-idempotence', 'false');
    await page.selectOption('#request-timeout-ms', '1000');
    await page.click('#drop-response-0');
    await page.waitForSelector('#fault-list li');
    await page.selectOption('#speed', '5');
    await page.click('#play');
    await page.waitForFunction(() => {
      const [dup, reord] = document.querySelector('#ledger .value').textContent.split('·').map(Number);
      return dup > 0 && reord > 0;
    }, null, { timeout: 20000 });
    await page.click('#play');
    await page.screenshot({ path: `${ARTIFACTS}app-lost-response.png` });
    // Same run, same fault, idempotent producer: the leader drops the retried copy.
    await page.selectOption('#enable-idempotence', 'true');
    assert.equal((await page.locator('#ledger .value').innerText()).replace(/\s/g, ''), '0·0·0');
    assert.ok(await metric(page, 'record-retry-total') > 0,
      'the batch was still retried');
    assert.deepEqual(errors, []);
  });
});

test('restarting the producer after a lost response duplicates, even with idempotence', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause at the start
    await page.click('#drop-response-0');
    await page.waitForSelector('#fault-list li');
    // Step a little so the request whose answer is lost is on its way, then restart.
    for (let i = 0; i < 40; i++) await page.click('#step');
    await page.click('#restart-producer');
    await page.waitForFunction(() => document.querySelectorAll('#fault-list li').length === 2);
    await page.selectOption('#speed', '5');
    await page.click('#play');
    await page.waitForFunction(
      () => Number(document.querySelector('[data-ledger="duplicated"] .ledger-n')?.textContent) > 0,
      null, { timeout: 20000 });
    await page.screenshot({ path: `${ARTIFACTS}app-restart-producer.png` });
    assert.deepEqual(errors, []);
  });
});
