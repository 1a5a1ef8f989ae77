// Embed mode: the snippet the share box gives shows the stage and the transport in a 16:9
// iframe, at the shared moment, and a presenter drives it with space, arrows and a
// clicker's PageDown / PageUp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS } from './helpers.mjs';

test('the embed snippet plays in an iframe, driven by presenter keys', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause
    await page.selectOption('#acks', '1');
    for (let i = 0; i < 4; i++) await page.click('#step');
    const clock = await page.locator('#clock').textContent();
    await page.click('#share');
    const snippet = await page.inputValue('#embed-code');
    assert.match(snippet, /^<iframe src="[^"]+\?embed=1#s=[^"]+" width="960" height="540"/);

    // A slide: the snippet as an author pastes it.
    // (An icon of its own, or Chromium asks the server for /favicon.ico.)
    await page.setContent(`<!doctype html><link rel="icon" href="data:,"><body style="margin:0">${snippet}</body>`);
    const frame = page.frameLocator('iframe');
    await frame.locator('#app-root.embed .stage-svg').waitFor();
    for (const gone of ['.controls', '.bottom', '#consumers', '#share']) {
      assert.equal(await frame.locator(gone).count(), 0, `${gone} is not in a slide`);
    }
    assert.equal(await frame.locator('#clock').textContent(), clock, 'opens paused at the moment shared');
    assert.match(await frame.locator('#embed-event').textContent(), /\d\.\d{3}s/);
    assert.match(await frame.locator('.code-box').textContent(), /props\.put\("acks", "1"\)/);
    const [full] = await Promise.all([page.waitForEvent('popup'), frame.locator('#open-full').click()]);
    assert.doesNotMatch(full.url(), /embed=1/, 'the whole app, same state');
    assert.match(full.url(), /#s=/);
    await full.close();
    // The stage fills the 16:9 frame without scrolling.
    const fits = await frame.locator('body').evaluate(() =>
      document.documentElement.scrollHeight <= window.innerHeight);
    assert.ok(fits, 'no scrolling inside the slide');

    // A clicker: PageDown steps, PageUp steps back; space plays.
    await frame.locator('#app-root').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('PageDown');
    await page.keyboard.press('PageDown');
    const stepped = await frame.locator('#clock').textContent();
    assert.notEqual(await frame.locator('#embed-event').textContent(), '');
    await page.keyboard.press('PageUp');
    await page.keyboard.press('PageUp');
    assert.equal(await frame.locator('#clock').textContent(), clock, 'back where it was');
    assert.ok(stepped >= clock);
    await page.keyboard.press(' ');
    await frame.locator('#clock').filter({ hasNotText: clock }).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}embed.png` });
    assert.deepEqual(errors, []);
  }, { width: 1000, height: 580 });
});

test('`&lang=ko` opens an embed (or any address without a #s= state) in Korean', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(`${url}?embed=1&lang=ko`);
    await page.waitForSelector('#app-root.embed .stage-svg');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko');
    assert.deepEqual(errors, []);
  }, { width: 960, height: 540 });
});
