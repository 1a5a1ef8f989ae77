// Retention from the topic panel: with retention.ms and segment.ms set, the brokers'
// kafka-log-retention task (first run 30 s after start-up) deletes the old segments; the
// stage says where each log now starts, the replica inspector its segments, and the
// ledger counts the acknowledged records deleted (not lost). Before the first run of the
// task nothing is deleted, and a seek back shows that again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS, seek, painted } from './helpers.mjs';

/** Moves to moment `t` and waits until the run shows it, with no replay pending, painted. */
const at = async (page, t) => {
  await seek(page, t);
  await page.waitForFunction(
    (want) => document.querySelector('#clock').textContent.startsWith(want) && !document.querySelector('#catching-up')?.textContent,
    `t = ${(t / 1000).toFixed(3)} s`, { timeout: 60_000 });
  await painted(page);
};

/** Each replica's log start offset, as its label on the stage says. */
const logStarts = (page) => page.$$eval('.log[aria-label]', (els) =>
  els.map((e) => Number(e.getAttribute('aria-label').match(/log start (\d+)/)[1])));

test('retention deletes old segments at the retention check, visibly', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause
    await page.selectOption('#retention-ms', '10000');
    await page.selectOption('#segment-ms', '5000');

    await at(page, 29_000);
    const before = await logStarts(page);
    assert.ok(before.length > 0 && before.every((s) => s === 0), `nothing deleted before the first check: ${before}`);

    await at(page, 31_000);
    const starts = await logStarts(page);
    assert.ok(starts.length > 0 && starts.every((s) => s > 0), `log starts ${starts}`);
    assert.match(await page.textContent('#ledger-box'), /deleted by retention/);
    assert.equal(await page.textContent('[data-ledger=lost] .ledger-n'), '0');

    // The replica inspector: the log start, the retention configs, the segments kept.
    await page.click('.log.leader text');
    await page.waitForSelector('#replica-inspector #log-segments');
    const fields = await page.textContent('#log-segments');
    assert.match(fields, /retention\.ms 10000 ms/);
    assert.match(fields, /segment\.ms 5000 ms/);
    const start = Number(fields.match(/log start offset(\d+)/)[1]);
    assert.ok(start > 0, fields);
    const first = await page.$eval('#replica-inspector tr[data-segment]', (tr) => Number(tr.dataset.segment));
    assert.equal(first, start, 'the first segment kept begins at the log start');
    await page.screenshot({ path: `${ARTIFACTS}/retention.png` });

    // Back before the check: the whole log again.
    await at(page, 20_000);
    assert.ok((await logStarts(page)).every((s) => s === 0));
    assert.deepEqual(errors, []);
  });
});
