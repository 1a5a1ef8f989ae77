// Small screens: a lesson in a slide's 800×450 frame and on a 390-pixel phone keeps its
// caption, its next button and the stage in view, and nothing widens the page (on a phone
// the stage keeps a legible size and scrolls sideways in its own frame, the canvas with it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS, painted } from './helpers.mjs';

/** Where things are, as the viewport sees them. */
const measure = (page) => page.evaluate(() => {
  const box = (sel) => {
    const b = document.querySelector(sel).getBoundingClientRect();
    return { top: b.top, left: b.left, bottom: b.bottom, right: b.right, width: b.width, height: b.height };
  };
  const inView = (b) => b.top >= 0 && b.left >= 0 && b.bottom <= innerHeight && b.right <= innerWidth;
  const [caption, next, stage, svg, canvas] = ['#lesson-caption', '#lesson-next', '.stage', '.stage-svg', 'canvas.particles'].map(box);
  return {
    overflow: document.documentElement.scrollWidth - innerWidth,
    scrolls: document.documentElement.scrollHeight > innerHeight,
    caption: inView(caption), next: inView(next), stage: inView(stage), svg, canvas,
  };
});

for (const [query, width, height] of [
  ['?lesson=acks&embed=1', 800, 450],
  ['?lesson=acks', 390, 844],
  ['?lesson=acks&embed=1', 390, 844],
]) {
  test(`${query} at ${width}×${height}: caption and next in view, no sideways scrolling`, async () => {
    await withPage(async ({ page, url, errors }) => {
      await page.goto(`${url}${query}`);
      await page.waitForSelector('#lesson-caption[data-step="0"]');
      // The first step, and the next (its text is another length).
      for (const step of ['0', '1']) {
        if (step === '1') {
          await page.click('#lesson-next');
          await page.waitForSelector('#lesson-caption[data-step="1"]', { timeout: 30_000 });
        }
        await painted(page);
        const m = await measure(page);
        const at = `${query} at ${width}×${height}, step ${step}`;
        assert.ok(m.overflow <= 0, `no sideways scrolling: ${at} (${m.overflow} px)`);
        assert.ok(m.caption, `the caption in view: ${at}`);
        assert.ok(m.next, `next in view: ${at}`);
        for (const k of ['top', 'left', 'width', 'height']) {
          assert.ok(Math.abs(m.canvas[k] - m.svg[k]) <= 1, `the canvas lies on the stage (${k}): ${at}`);
        }
        if (query.includes('embed') && width > 600) {
          assert.ok(m.stage && !m.scrolls, `a slide shows the whole stage without scrolling: ${at}`);
          assert.ok(m.svg.width >= 500, `the stage fills the frame: ${at} (${m.svg.width} px)`);
        }
        if (width <= 600) {
          assert.ok(m.svg.width >= 800, `a phone's stage stays legible, scrolling sideways: ${at}`);
        }
      }
      await page.screenshot({ path: `${ARTIFACTS}small-${width}x${height}${query.includes('embed') ? '-embed' : ''}.png` });
      assert.deepEqual(errors, []);
    }, { width, height });
  });
}
