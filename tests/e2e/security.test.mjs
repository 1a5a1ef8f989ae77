// The static site treats what comes with a URL as untrusted: names in a linked scenario
// file are shown as text, never as markup; a scenario address on another site is refused
// before any request leaves; and the page's Content-Security-Policy is never violated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS, stateOf, linkOf } from './helpers.mjs';


/** Runs `fn` with the page's requests to elsewhere and its policy violations recorded. */
const watched = (fn) => withPage(async ({ page, url, errors }) => {
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await fn({ page, url, errors });
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no policy violation');
  assert.deepEqual(foreign, [], 'nothing requested from elsewhere');
});

const MARKUP = '<img src=x onerror="window.__pwned=1">';

test('names from a linked scenario file are shown as text, never as markup', async () => {
  await watched(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#share');
    const state = stateOf(await page.inputValue('#share-link'));
    state.w.file = {
      name: `<script>window.__pwned=2</script>${MARKUP}.json`,
      scenario: {
        seed: 1, brokers: 3,
        topics: [{ name: 'orders', partitions: 2, replication_factor: 3 }],
        producers: [{ name: MARKUP, config: { 'client.id': MARKUP } }],
        consumers: [{ name: '<b id="injected">c</b>', topics: ['orders'] }],
        actions: [{ at_ms: 0, action: 'send', producer: MARKUP, topic: 'orders', key: MARKUP, value: MARKUP, count: 20, interval_ms: 5 }],
        until_ms: 2000,
      },
    };
    await page.goto(`${url}${linkOf(state)}`);
    await page.reload();
    await page.waitForSelector('#scenario-file .file-name');
    await page.click('#play');
    await page.waitForFunction(() => !/t = 0\.000/.test(document.querySelector('#clock').textContent));
    assert.match(await page.locator('#scenario-file .file-name').innerText(), /<script>window\.__pwned=2<\/script><img src=x/);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
    assert.equal(await page.locator('img[src="x"], #injected, #app-root script').count(), 0, 'no element made from text');
    await page.screenshot({ path: `${ARTIFACTS}security-names.png` });
    assert.deepEqual(errors, []);
  });
});

test('a scenario address on another site is refused before any request leaves', async () => {
  await watched(async ({ page, url, errors }) => {
    await page.goto(`${url}?scenario=${encodeURIComponent('https://example.com/scenario.json')}`);
    await page.waitForSelector('#link-error');
    assert.match(await page.locator('#link-error').innerText(), /scenario\.json could not be opened: https:\/\/example\.com\/scenario\.json: only this site's own files can be opened/);
    assert.equal(await page.locator('#scenario-file .file-name').count(), 0);
    await page.goto(`${url}?scenario=${encodeURIComponent('//example.com/scenario.json')}`);
    await page.waitForSelector('#link-error');
    assert.match(await page.locator('#link-error').innerText(), /only this site's own files/);
    assert.deepEqual(errors, []);
  });
});
