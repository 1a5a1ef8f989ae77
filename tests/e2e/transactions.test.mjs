// Transactions in the browser: the starter script commits one transaction and aborts
// the next; read_committed receives only the committed records, read_uncommitted all.
// A second instance with the same transactional.id fences the first, whose commit then
// throws ProducerFencedException.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS } from './helpers.mjs';

const records = (page, name) => page.locator(`.consumer[data-consumer="${name}"]`).getAttribute('data-records').then(Number);
const clientState = (page, name) => page.locator(`.txn-client[data-producer="${name}"]`).getAttribute('data-state');
const clock = async (page) => Number((await page.locator('#clock').innerText()).match(/t = ([\d.]+)/)[1]);

test('commit, abort, and a zombie fenced', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.selectOption('#transactions', 'on');
    await page.waitForSelector('#txn-panel');
    await page.selectOption('#speed', '1');
    await page.waitForFunction(() => /t = (3\.[5-9]|[4-9])/.test(document.querySelector('#clock')?.textContent));
    await page.click('#play'); // pause
    assert.equal(await records(page, 'read_committed'), 3, 'only the committed transaction');
    assert.equal(await records(page, 'read_uncommitted'), 6, 'the aborted one too');
    assert.equal(await clientState(page, 'producer-1'), 'READY');
    assert.equal(await page.locator('.txn-coordinator').getAttribute('data-state'), 'CompleteAbort');
    assert.ok(await page.locator('.marker').count() >= 2, 'markers are drawn in the logs');
    await page.screenshot({ path: `${ARTIFACTS}transactions.png` });

    // Read-process-write: the consumer's positions committed with a transaction.
    await page.click('#txn-begin');
    await page.click('#txn-offsets');
    await page.click('#txn-commit');
    await page.click('#play');
    await page.waitForFunction((t0) => Number(document.querySelector('#clock').textContent.match(/t = ([\d.]+)/)[1]) > t0 + 0.3, await clock(page));
    await page.click('#play');
    assert.match(await page.locator('#group-offsets').innerText(), /orders-processor orders-\d → \d/);

    // A transaction left open, a second instance, then the first one commits.
    await page.click('#txn-begin');
    await page.click('#txn-send');
    await page.click('#play');
    await page.waitForFunction((t0) => Number(document.querySelector('#clock').textContent.match(/t = ([\d.]+)/)[1]) > t0 + 0.3, await clock(page));
    await page.click('#play');
    assert.equal(await clientState(page, 'producer-1'), 'IN_TRANSACTION');
    await page.click('#txn-zombie');
    await page.click('#play');
    await page.waitForFunction((t0) => Number(document.querySelector('#clock').textContent.match(/t = ([\d.]+)/)[1]) > t0 + 0.5, await clock(page));
    await page.click('#play');
    await page.click('#txn-commit');
    await page.click('#play');
    await page.waitForFunction(() => document.querySelector('#txn-results')?.textContent.includes('ProducerFencedException'), null, { timeout: 20000 });
    await page.click('#play');
    assert.equal(await clientState(page, 'producer-1'), 'FATAL_ERROR');
    assert.equal(await clientState(page, 'producer-1-zombie'), 'READY');
    assert.equal(await records(page, 'read_committed'), 3, "the fenced transaction's records never reach read_committed");
    assert.equal(await records(page, 'read_uncommitted'), 9);
    await page.screenshot({ path: `${ARTIFACTS}transactions-zombie.png` });
    assert.deepEqual(errors, []);
  });
});
