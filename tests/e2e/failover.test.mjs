// Broker failures in the browser: crash the leader of a replicated partition, watch the
// controller fence it and elect another broker, restart it and see it come back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS } from './helpers.mjs';

/** Waits until broker `b` shows `want` (the click re-renders on Yew's next tick). */
const waitState = (page, b, want) => page.waitForFunction(
  ([b, want]) => document.querySelector(`.broker[data-broker="${b}"]`)?.getAttribute('data-state') === want,
  [b, want], { timeout: 20000 });

test('crash a leader, watch the election, restart it', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.selectOption('#replication-factor', '3');
    await page.selectOption('#speed', '20');
    await page.waitForFunction(() => Number(document.querySelector('#send-count')?.textContent) > 20);
    // Leaders of the three partitions sit on the three brokers: crash broker 0.
    const ledBy0 = await page.locator('.broker[data-broker="0"] .log[data-role="leader"]').count();
    assert.ok(ledBy0 >= 1, 'broker 0 leads a partition');
    await page.click('#crash-0');
    await waitState(page, 0, 'crashed');
    assert.equal(await page.locator('#crash-0').innerText(), 'restart');
    // 9 s of virtual time later (at most 11 s after a heartbeat) the controller has fenced it.
    await page.waitForFunction(
      () => document.querySelector('.broker[data-broker="0"]')?.textContent.includes('fenced'),
      null, { timeout: 20000 });
    // Every partition is then led by broker 1 or 2 (the crowns move).
    await page.waitForFunction(
      () => document.querySelectorAll('.broker:not([data-broker="0"]) .log[data-role="leader"]').length === 3,
      null, { timeout: 20000 });
    await page.screenshot({ path: `${ARTIFACTS}failover-crashed.png` });

    await page.click('#crash-0'); // restart
    await waitState(page, 0, 'up');
    await page.waitForFunction(
      () => document.querySelectorAll('.broker[data-broker="0"] .log[data-role="follower"]').length === 3,
      null, { timeout: 20000 });
    await page.screenshot({ path: `${ARTIFACTS}failover-restarted.png` });

    // Clicking a broker's title opens its inspector, which offers the same faults.
    await page.click('.broker[data-broker="1"] .broker-head');
    await page.waitForSelector('#broker-inspector');
    assert.match(await page.locator('#broker-controller').innerText(), /registered, heartbeating/);
    await page.click('#inspector-isolate-1');
    await waitState(page, 1, 'isolated');
    await page.waitForFunction(
      () => document.querySelector('#broker-controller')?.textContent.includes('unless heard from'),
      null, { timeout: 20000 });
    await page.screenshot({ path: `${ARTIFACTS}failover-isolated.png` });
    assert.deepEqual(errors, []);
  });
});
