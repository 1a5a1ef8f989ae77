// The sample reveal.js deck (www/deck/): three lessons embedded as iframes, each of which
// loads at its first step and plays to the next when asked, with no request leaving the
// site (the Content-Security-Policy would report one as an error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS } from './helpers.mjs';

test('the sample deck shows three embedded lessons that play', async () => {
  await withPage(async ({ page, url, errors }) => {
    const foreign = [];
    page.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
    await page.goto(`${url}deck/`);
    await page.waitForFunction(() => window.Reveal?.isReady());
    assert.equal(await page.locator('iframe.lab').count(), 3);
    for (let i = 1; i <= 3; i++) {
      await page.evaluate((i) => window.Reveal.slide(i), i);
      const frame = page.frameLocator(`.slides > section:nth-child(${i + 1}) iframe`);
      await frame.locator('#app-root.embed #lesson-caption[data-step="0"]').waitFor();
      // (A click's coordinates would land mid-transition while reveal.js moves the slide.)
      await frame.locator('#lesson-next').dispatchEvent('click');
      await frame.locator('#lesson-caption[data-step="1"]').waitFor({ timeout: 30_000 });
      const clock = await frame.locator('#clock').textContent();
      assert.doesNotMatch(clock, /t = 0\.000/, `lab ${i} played to its next step`);
      await page.screenshot({ path: `${ARTIFACTS}deck-${i}.png` });
    }
    assert.equal(await page.frameLocator('.slides > section:nth-child(4) iframe').locator('html').getAttribute('lang'), 'ko',
      'lang=ko in the address');
    assert.deepEqual(foreign, [], 'nothing requested from elsewhere');
    assert.deepEqual(errors, []);
  }, { width: 1280, height: 800 });
});
