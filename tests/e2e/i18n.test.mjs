// Korean and English: the switch changes every label, explanation and event message, the
// choice survives a reload, <html lang> follows, and switching leaves the run alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS, seek } from './helpers.mjs';

/**
 * Every piece of text a person reads or hears: visible text nodes (and the options of a
 * visible select), tooltips (`title` attributes, SVG `<title>`s) and `aria-label`s — less
 * Kafka's identifiers (`.mono`, `code`, `[translate="no"]`) and the language switch, which
 * names the other language in that language. Each entry says where it was found.
 */
const texts = (page) => page.evaluate(() => {
  const exempt = (el) => el.closest('.mono, code, [translate="no"], #lang, script, style, noscript');
  const shown = (el) => el.checkVisibility();
  const where = (el) => {
    const id = el.closest('[id]');
    return `${el.tagName.toLowerCase()}${id ? ` in #${id.id}` : ''}`;
  };
  const out = [];
  const walker = document.createTreeWalker(document.getElementById('app'), NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || exempt(el)) continue;
    const tag = el.tagName.toLowerCase();
    // A tooltip shows when its owner does; an option when its select does.
    const owner = tag === 'title' ? el.parentElement : tag === 'option' ? el.closest('select') : el;
    if (shown(owner)) out.push({ text, at: where(el) });
  }
  for (const el of document.querySelectorAll('#app [title], #app [aria-label]')) {
    if (exempt(el) || !shown(el)) continue;
    for (const attr of ['title', 'aria-label']) {
      const text = el.getAttribute(attr);
      if (text) out.push({ text, at: `${where(el)} [${attr}]` });
    }
  }
  out.push({ text: document.title, at: 'document.title' });
  return out;
});

const HANGUL = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]/;
// A word of English: three Latin letters in a row (units like ms and B are shared).
const ENGLISH = /[A-Za-z]{3,}/;

/** Fails on any text in the wrong language for `lang`. */
async function assertAllIn(page, lang, state) {
  const all = await texts(page);
  assert.ok(all.length > 50, `${state}: the audit sees the page (${all.length} texts)`);
  const wrong = lang === 'en'
    ? all.filter((t) => HANGUL.test(t.text))
    : all.filter((t) => ENGLISH.test(t.text) && !HANGUL.test(t.text));
  assert.deepEqual(wrong, [], `${state} (${lang}): text in the other language`);
}

/** The main states of the page, each checked in the language on screen. */
async function everyState(page, lang) {
  await assertAllIn(page, lang, 'default');
  // A fault in the list, a broker down.
  await page.click('#crash-1');
  await page.waitForSelector('#fault-list li');
  await page.click('#drop-response-0');
  await assertAllIn(page, lang, 'faults');
  // The broker, a replica and a batch in the inspector.
  await page.click('.broker[data-broker="1"] .broker-head');
  await page.waitForSelector('#broker-inspector');
  await assertAllIn(page, lang, 'broker inspector');
  await page.click('.broker[data-broker="0"] .log');
  await page.waitForSelector('#replica-inspector');
  await assertAllIn(page, lang, 'replica inspector');
  await page.click('#clear-faults');
  // Paused, with a batch waiting in the accumulator.
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#play').textContent.includes('▶'));
  while (!(await page.locator('.batch').count())) await page.click('#step');
  await page.click('.batch');
  await page.waitForSelector('#inspector');
  await assertAllIn(page, lang, 'batch inspector');
  // Transactions on: the panel, the consumers, markers in the logs.
  await page.selectOption('#transactions', 'on');
  await page.waitForSelector('#txn-panel');
  await seek(page, 3500);
  await page.waitForFunction(() => document.querySelectorAll('.marker').length >= 2);
  await assertAllIn(page, lang, 'transactions');
  // A configuration Kafka refuses.
  await page.selectOption('#enable-idempotence', 'true');
  await page.selectOption('#acks', '1');
  await page.waitForSelector('#config-error');
  await assertAllIn(page, lang, 'config error');
}

test('the language switch changes every visible label', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    // The test browser speaks en-US: English first.
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.selectOption('#replication-factor', '3');
    await page.selectOption('#speed', '1');
    await page.waitForFunction(() => Number(document.querySelector('#send-count')?.textContent) > 5);
    await everyState(page, 'en');

    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'ko');
    await page.selectOption('#replication-factor', '3');
    await page.selectOption('#speed', '1');
    await page.waitForFunction(() => Number(document.querySelector('#send-count')?.textContent) > 5);
    await everyState(page, 'ko');
    await page.screenshot({ path: `${ARTIFACTS}/korean.png`, fullPage: true });
    assert.deepEqual(errors, []);
  });
});

test('the choice is remembered and the run is kept', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play');
    for (let i = 0; i < 5; i++) await page.click('#step');
    const before = await page.evaluate(() => ({
      clock: document.querySelector('#clock').textContent,
      sent: document.querySelector('#send-count').textContent,
      logs: [...document.querySelectorAll('.log .leo')].map((e) => e.textContent),
    }));
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'ko');
    const after = await page.evaluate(() => ({
      clock: document.querySelector('#clock').textContent,
      sent: document.querySelector('#send-count').textContent,
      logs: [...document.querySelectorAll('.log .leo')].map((e) => e.textContent),
    }));
    assert.deepEqual(after, before, 'switching language changes nothing in the paused run');
    assert.match(await page.locator('#play').innerText(), /재생/);
    assert.match(await page.title(), /카프카/);

    await page.reload();
    await page.waitForSelector('#app-root .stage-svg');
    assert.equal(await page.getAttribute('html', 'lang'), 'ko', 'remembered across a reload');
    assert.match(await page.locator('.events h3').innerText(), /이벤트/);
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.reload();
    await page.waitForSelector('#app-root .stage-svg');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.deepEqual(errors, []);
  });
});
