// Time travel: step forward N then back N returns to the identical picture, and scrubbing
// to a moment shows exactly what a fresh run shows there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS, snapshot, seek } from './helpers.mjs';

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
