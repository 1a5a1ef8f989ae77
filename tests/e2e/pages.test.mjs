// GitHub Pages serves a project site under a sub-path (https://user.github.io/kafka-lab/):
// the app, its links, a lesson in a frame and the sample deck all work there, with every
// request relative to the site (an absolute one would 404 and show as an error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage } from './helpers.mjs';

test('the site works under a sub-path', async () => {
  await withPage(async ({ page, url, errors }) => {
    assert.ok(url.endsWith('/kafka-lab/'));
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play');
    await page.click('#share');
    const link = await page.inputValue('#share-link');
    assert.ok(link.startsWith(url), `the link stays on the sub-path: ${link}`);
    await page.goto(`${url}?lesson=acks&embed=1`);
    await page.waitForSelector('#app-root.embed #lesson-caption[data-step="0"]');
    await page.goto(`${url}deck/`);
    await page.waitForFunction(() => window.Reveal?.isReady());
    await page.frameLocator('iframe.lab').first().locator('#lesson-caption').waitFor();
    assert.deepEqual(errors, []);
  }, { base: '/kafka-lab/' });
});
