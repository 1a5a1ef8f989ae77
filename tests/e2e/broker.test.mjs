// Broker configs in the app: set in the Broker panel, they change what the brokers do
// (replica.lag.time.max.ms: when a slow follower leaves the ISR), links carry them, a
// value Kafka refuses is refused naming the key, and a release without one does not offer it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS, seek, settled, fragment, stateOf, linkOf } from './helpers.mjs';

const urp = (page) => page.locator('[data-metric="UnderReplicatedPartitions"]').textContent().then(Number);
const shrink = (page) => page.evaluate(() => [...document.querySelectorAll('.events ol:not(#narration) li')]
  .map((li) => li.textContent).find((t) => t.includes('shrinks to')));

test('replica.lag.time.max.ms set in the panel: the slow follower leaves the ISR after it, and a link carries it', async () => {
  let link, event;
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause
    await page.selectOption('#replication-factor', '3');
    await page.selectOption('#replica-lag-time-max-ms', '5000');
    await seek(page, 1000);
    await page.click('#slow-follower-2');
    // Broker 2, last caught up at about 1 s, is out at the leaders' isr-expiration check
    // of 7.5 s (every 2.5 s), not past 30 s as with the default.
    await seek(page, 7400);
    assert.equal(await urp(page), 0, 'still in every ISR at 7.4 s');
    for (let i = 0; i < 400 && !(await shrink(page)); i++) await page.click('#step');
    event = await shrink(page);
    assert.ok(event, 'an ISR shrink within 400 events of 7.4 s');
    const at = Number(event.trim().split('s')[0]);
    assert.ok(at >= 7.5 && at < 7.6, `shrunk at ${at} s`);
    assert.match(event, /replica\.lag\.time\.max\.ms, 5000 ms/);
    await page.screenshot({ path: `${ARTIFACTS}broker-lag.png`, fullPage: true });
    await page.click('#share');
    link = await page.inputValue('#share-link');
    assert.deepEqual(stateOf(link).w.broker, { 'replica.lag.time.max.ms': '5000' });
    assert.deepEqual(errors, []);
  });
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url + fragment(link));
    await page.waitForSelector('#app-root .stage-svg');
    assert.equal(await page.inputValue('#replica-lag-time-max-ms'), '5000');
    await page.waitForFunction(() => !document.querySelector('#catching-up').textContent);
    assert.equal(await shrink(page), event, 'the same moment, the same shrink');
    assert.deepEqual(errors, []);
  });
});

test('a broker value Kafka refuses, in a link, names the key and Kafka\'s rule; 3.7 has no log.initial.task.delay.ms', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play');
    await page.click('#share');
    const good = stateOf(await page.inputValue('#share-link'));
    await page.goto('about:blank');
    await page.goto(url + linkOf({ ...good, w: { ...good.w, broker: { 'replica.lag.time.max.ms': '100' } } }));
    await page.waitForSelector('#link-error');
    assert.match(await page.locator('#link-error').innerText(),
      /broker_config\.replica\.lag\.time\.max\.ms: .*replica\.fetch\.wait\.max\.ms should always be less than or equal to replica\.lag\.time\.max\.ms/);
    assert.equal(await page.inputValue('#replica-lag-time-max-ms'), '', 'the default run, default broker configs');
    // Set from 3.8 on, dropped when the release goes back to 3.7, which does not offer it.
    await page.selectOption('#log-initial-task-delay-ms', '0');
    await page.selectOption('#kafka-version', '3.7');
    await settled(page);
    assert.equal(await page.isDisabled('#log-initial-task-delay-ms'), true);
    assert.match(await page.locator('#log-initial-task-delay-ms').innerText(), /not in Kafka 3\.7(\.\d+)? \(since 3\.8\)/);
    await page.click('#share');
    assert.equal(stateOf(await page.inputValue('#share-link')).w.broker, undefined);
    assert.deepEqual(errors.filter((e) => !e.includes('about:blank')), []);
  });
});
