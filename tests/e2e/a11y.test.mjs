// Accessibility: the stage works from the keyboard alone, every control has a name, the
// focus is visible, and the narrated event list speaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS } from './helpers.mjs';

/** What the focused element is, for the assertions. */
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return {
    cls: el?.getAttribute('class') ?? '',
    role: el?.getAttribute('role') ?? '',
    label: el?.getAttribute('aria-label') ?? '',
    visible: el?.matches(':focus-visible') ?? false,
    // The ring is drawn on the element's shape: an outline, or a stroke on SVG.
    ring: (() => {
      if (!el) return '';
      const shape = el.querySelector(':scope > .hit, :scope > .batch-bg') ?? el;
      const s = getComputedStyle(shape);
      return s.outlineStyle !== 'none' ? `outline ${s.outlineWidth}` : `stroke ${s.stroke} ${s.strokeWidth}`;
    })(),
    inInspector: !!el?.closest('.inspector'),
  };
});

test('the stage works from the keyboard alone', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.selectOption('#replication-factor', '3');
    // Paused: the keyboard user reads at their own pace.
    await page.locator('#play').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#play').textContent.includes('▶'));
    let stage = null;
    for (let i = 0; i < 40 && !stage; i++) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      if (f.role === 'button' && /\b(log|batch|broker-head)\b/.test(f.cls)) stage = f;
    }
    assert.ok(stage, 'Tab reaches a batch, a replica or a broker on the stage');
    assert.ok(stage.visible, 'the focus is visible');
    assert.match(stage.ring, /^(outline [1-9]|stroke rgb\(29, 78, 216\) 3)/, `a visible ring: ${stage.ring}`);
    assert.ok(stage.label.length > 10, `a name: ${stage.label}`);
    await page.screenshot({ path: `${ARTIFACTS}/focus.png` });
    // Enter opens it in the inspector, and focus follows.
    await page.keyboard.press('Enter');
    await page.waitForSelector('.inspector');
    assert.ok((await focused(page)).inInspector, 'focus moves into the inspector');
    // Escape closes it and puts focus back where it was.
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('.inspector'));
    const back = await focused(page);
    assert.equal(back.label, stage.label, 'focus returns to the element that opened it');
    // Space works like Enter, and does not start the run.
    const clock = await page.locator('#clock').innerText();
    await page.keyboard.press(' ');
    await page.waitForSelector('.inspector');
    assert.equal(await page.locator('#clock').innerText(), clock, 'space on a stage element does not play');
    await page.keyboard.press('Escape');
    assert.deepEqual(errors, []);
  });
});

test('every control has an accessible name, and the page has landmarks', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.selectOption('#transactions', 'on');
    await page.click('#crash-0');
    await page.click('.broker[data-broker="0"] .broker-head');
    await page.waitForSelector('#broker-inspector');
    for (const lang of ['en', 'ko']) {
      const nameless = await page.evaluate(() => {
        const name = (el) => {
          const by = el.getAttribute('aria-labelledby');
          return (el.getAttribute('aria-label')
            || (by && by.split(/\s+/).map((id) => document.getElementById(id)?.textContent).join(' '))
            || [...(el.labels ?? [])].map((l) => l.textContent).join(' ')
            || (el.tagName === 'SELECT' || el.tagName === 'INPUT' ? '' : el.textContent)
            || el.getAttribute('title')
            || '').trim();
        };
        return [...document.querySelectorAll('button, select, input, [role="button"], [tabindex]:not([tabindex="-1"])')]
          .filter((el) => el.checkVisibility() && !/[\p{L}\p{N}]/u.test(name(el)))
          .map((el) => el.outerHTML.slice(0, 120));
      });
      assert.deepEqual(nameless, [], `${lang}: controls without a name`);
      const landmarks = await page.evaluate(() => ({
        // The page's header (the inspectors' headers are their sections' own).
        banner: document.querySelectorAll('header:not(section header)').length,
        main: document.querySelectorAll('main').length,
        aside: document.querySelectorAll('aside[aria-label]').length,
        regions: [...document.querySelectorAll('section[aria-label], [role="region"]')].map((r) => r.getAttribute('aria-label') ?? r.getAttribute('aria-labelledby')),
      }));
      assert.equal(landmarks.banner, 1);
      assert.equal(landmarks.main, 1);
      assert.equal(landmarks.aside, 1);
      assert.ok(landmarks.regions.length >= 5, `regions: ${landmarks.regions}`);
      await page.click('#lang');
    }
    assert.deepEqual(errors, []);
  });
});

test('the narrated event list speaks notable events in the current language', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    const live = page.locator('#narration');
    assert.equal(await live.getAttribute('aria-live'), 'polite');
    assert.equal(await page.locator('#narrate').getAttribute('aria-pressed'), 'false');
    await page.selectOption('#replication-factor', '3');
    await page.selectOption('#speed', '5');
    await page.waitForFunction(() => Number(document.querySelector('#send-count')?.textContent) > 5, null, { timeout: 60000 });
    assert.equal(await live.locator('li').count(), 0, 'silent until asked');
    await page.click('#narrate');
    assert.equal(await page.locator('#narrate').getAttribute('aria-pressed'), 'true');
    // What follows a crash is notable (connections close, the controller fences the broker
    // after its session times out and elects new leaders): it is read out, sends, appends
    // and metadata requests are not.
    await page.click('#crash-0');
    await page.waitForFunction(() => /broker 0|NETWORK_EXCEPTION|controller elects broker/
      .test(document.querySelector('#narration').textContent), null, { timeout: 60000 });
    const lines = await live.locator('li').allInnerTexts();
    assert.ok(lines.every((l) => !/ send #\d+ key=| appends \d+ to | metadata /.test(l)), `only notable events: ${lines}`);
    // Stepping reads every event, in Korean once switched.
    await page.click('#play');
    await page.click('#lang');
    const before = await live.innerText();
    await page.click('#step');
    await page.waitForFunction((b) => document.querySelector('#narration').innerText !== b, before);
    const last = (await live.locator('li').allInnerTexts()).at(-1);
    assert.match(last, /[\uac00-\ud7af]/, `in Korean: ${last}`);
    // Off again: nothing more is added.
    await page.click('#narrate');
    assert.equal(await live.locator('li').count(), 0);
    await page.click('#step');
    assert.equal(await live.locator('li').count(), 0);
    assert.deepEqual(errors, []);
  });
});
