// Lessons: every lesson loads and plays from its first step to its last, each step
// pausing at its moment and pointing at an element that exists; a lesson's link opens at
// its step (in a slide too, where a clicker's PageDown / PageUp walk the steps); a lesson
// whose file cannot be fetched or read says so and leaves the run on screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS } from './helpers.mjs';

const caption = (page) => page.evaluate(() => {
  const c = document.querySelector('#lesson-caption');
  return c && {
    step: Number(c.dataset.step),
    target: c.dataset.target,
    pointed: document.getElementById(c.dataset.target)?.classList.contains('lesson-target') ?? false,
    next: !document.querySelector('#lesson-next').disabled,
    clock: document.querySelector('#clock').textContent,
    playing: document.querySelector('#play').textContent.includes('Pause'),
    sent: Number(document.querySelector('#send-count').textContent),
    ledger: Number(document.querySelector('#ledger-box text.tiny').textContent.match(/\d+/)[0]),
  };
});

/** Plays to the next step: it stops there by itself. */
const next = async (page, from) => {
  await page.click('#lesson-next');
  await page.waitForFunction((from) => Number(document.querySelector('#lesson-caption')?.dataset.step) > from
    && !document.querySelector('#play').textContent.includes('Pause'), from, { timeout: 30_000 });
  return caption(page);
};

test('every lesson plays from its first step to its last', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#lesson');
    const ids = await page.$$eval('#lesson option', (os) => os.map((o) => o.value).filter(Boolean));
    assert.ok(ids.length >= 3, `lessons: ${ids}`);
    for (const id of ids) {
      await page.selectOption('#lesson', id);
      // Fetched when picked: the caption is this lesson's once its file is here.
      await page.waitForSelector(`#lesson-caption[data-lesson="${id}"]`);
      let c = await caption(page);
      assert.equal(c.step, 0, `${id} starts at its first step`);
      assert.ok(c.pointed, `${id} step 0 points at #${c.target}`);
      assert.equal(c.clock.trim().startsWith('t = 0.000'), true);
      while (c.next) {
        const before = c.step;
        c = await next(page, before);
        assert.equal(c.step, before + 1, `${id}: one step at a time`);
        assert.ok(c.pointed, `${id} step ${c.step} points at #${c.target}`);
        assert.ok(!c.playing, `${id} step ${c.step} pauses at its moment`);
        assert.equal(c.ledger, c.sent, `${id} step ${c.step}: the ledger is current where the run paused`);
      }
      await page.screenshot({ path: `${ARTIFACTS}lesson-${id}.png` });
      // Back one step: the moment of the step before.
      await page.click('#lesson-prev');
      await page.waitForFunction((s) => Number(document.querySelector('#lesson-caption').dataset.step) === s, c.step - 1);
    }
    // A setting changed by hand leaves the lesson: its script no longer describes the run.
    await page.selectOption('#partitions', '4');
    await page.waitForSelector('#lesson-caption', { state: 'detached' });
    assert.deepEqual(errors, []);
  });
});

test("a lesson's link opens at its step, and a clicker walks it in a slide", async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#lesson');
    await page.selectOption('#lesson', 'transactions');
    const first = await next(page, 0);
    await page.click('#share');
    const snippet = await page.inputValue('#embed-code');
    await page.setContent(`<!doctype html><link rel="icon" href="data:,"><body style="margin:0">${snippet}</body>`);
    const frame = page.frameLocator('iframe');
    await frame.locator('#lesson-caption[data-step="1"]').waitFor();
    assert.equal(await frame.locator('#clock').textContent(), first.clock);
    await frame.locator('#lesson-text').click();
    await page.keyboard.press('PageDown');
    await frame.locator('#lesson-caption[data-step="2"]').waitFor({ timeout: 30_000 });
    await page.keyboard.press('PageUp');
    await frame.locator('#lesson-caption[data-step="1"]').waitFor();
    assert.match(await frame.locator('#lesson-text').textContent(), /beginTransaction|트랜잭션/);
    // The panels this lesson points at are in the slide too (the step at 700 ms points at
    // the transactions panel).
    assert.equal(await frame.locator('#txn-panel.lesson-target').count(), 1);
    assert.equal(await frame.locator('#consumers').count(), 1);
    assert.deepEqual(errors, []);
  }, { width: 1000, height: 600 });
});

test('a lesson that cannot be fetched or read says so, and the run on screen stays', async () => {
  await withPage(async ({ page, url }) => {
    await page.goto(url);
    await page.waitForSelector('#lesson');
    await page.selectOption('#lesson', 'design');
    await page.waitForSelector('#lesson-caption[data-lesson="design"]');
    const clock = await page.textContent('#clock');
    // Not there (a site deployed without its lessons), then tampered with.
    await page.route('**/lessons/acks.json', (r) => r.fulfill({ status: 404, body: '' }));
    await page.selectOption('#lesson', 'acks');
    await page.waitForSelector('#lesson-error');
    assert.match(await page.textContent('#lesson-error'), /§2\.3 acks=1 and a leader crash could not be opened: .*lessons\/acks\.json: HTTP 404/);
    await page.click('#lang');
    assert.match(await page.textContent('#lesson-error'), /수업 §2\.3 acks=1 과 리더 장애을\(를\) 열 수 없음/);
    await page.click('#lang');
    // The lesson followed and its run are still on screen, and the picker says so.
    assert.equal(await page.getAttribute('#lesson-caption', 'data-lesson'), 'design');
    assert.equal(await page.textContent('#clock'), clock);
    assert.equal(await page.inputValue('#lesson'), 'design');
    await page.unroute('**/lessons/acks.json');
    await page.route('**/lessons/acks.json', async (r) => {
      const lesson = await (await r.fetch()).json();
      lesson.settings.rate = 20_000;
      await r.fulfill({ json: lesson });
    });
    await page.selectOption('#lesson', 'acks');
    await page.waitForFunction(() => /: rate: the app shows 1 to 10000/.test(document.querySelector('#lesson-error')?.textContent));
    assert.equal(await page.getAttribute('#lesson-caption', 'data-lesson'), 'design');
    await page.click('#lesson-error .dismiss');
    await page.waitForSelector('#lesson-error', { state: 'detached' });
    // A lesson's link whose file is missing is refused like any link: the default run plays.
    await page.unroute('**/lessons/acks.json');
    await page.route('**/lessons/acks.json', (r) => r.fulfill({ status: 404, body: '' }));
    await page.goto(`${url}?lesson=acks`);
    await page.waitForSelector('#link-error');
    assert.match(await page.textContent('#link-error'), /lesson: lessons\/acks\.json: HTTP 404/);
    await page.waitForSelector('#play:has-text("Pause")');
    assert.equal(await page.$('#lesson-caption'), null);
  });
});
