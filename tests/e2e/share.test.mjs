// Links: the app's state (settings, faults, moment, speed, language) in the URL, so that a
// link copied after edits shows the same picture in a fresh browser; a broken or tampered
// link is refused with its field named, and the default run plays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS, snapshot, seek, fragment, stateOf, linkOf } from './helpers.mjs';


/** The default run's link state, once it plays: the base a test alters. */
async function playingState(page, url) {
  await page.goto(url);
  await page.waitForSelector('#app-root .stage-svg');
  await page.click('#play');
  await page.click('#share');
  return stateOf(await page.inputValue('#share-link'));
}

test('a link copied after edits reproduces the state in a fresh browser', async () => {
  let link, before;
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause
    await page.selectOption('#acks', '1');
    await page.selectOption('#partitions', '4');
    await page.selectOption('#min-insync-replicas', '2');
    await seek(page, 800);
    await page.click('#crash-1');
    await page.click('#lang');
    await page.selectOption('#speed', '0.25');
    for (let i = 0; i < 5; i++) await page.click('#step');
    await page.click('#share');
    link = await page.inputValue('#share-link');
    before = await snapshot(page);
    assert.equal(page.url(), link, 'the address bar holds the same state');
    assert.ok(link.length < 400, `short enough for a slide: ${link.length} characters`);
    const state = stateOf(link);
    assert.equal(state.w.producer.acks, '1');
    assert.equal(state.w.faults.length, 1);
    assert.deepEqual(errors, []);
  });
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url + fragment(link));
    await page.waitForSelector('#app-root .stage-svg');
    const after = await snapshot(page);
    assert.equal(after.clock, before.clock);
    const at = [...after.html].findIndex((c, i) => c !== before.html[i]);
    assert.equal(after.html, before.html, `the same stage, panels and settings; first difference: ${before.html.slice(at - 300, at + 100)} || ${after.html.slice(at - 300, at + 100)}`);
    assert.equal(after.events, before.events);
    assert.equal(after.canvas, before.canvas, 'the same pixels');
    assert.equal(await page.getAttribute('html', 'lang'), 'ko');
    assert.equal(await page.inputValue('#speed'), '0.25');
    assert.equal(await page.inputValue('#acks'), '1');
    assert.match(await page.locator('#fault-list').innerText(), /브로커 1/);
    // Opened paused: the moment stays.
    await page.waitForTimeout(300);
    assert.equal(await page.locator('#clock').textContent(), before.clock);
    await page.screenshot({ path: `${ARTIFACTS}share.png` });
    assert.deepEqual(errors, []);
  });
});

test('a broken or tampered link names its field; the default run plays', async () => {
  await withPage(async ({ page, url, errors }) => {
    const good = await playingState(page, url);
    const cases = [
      ['#s=this-is-not-a-link', /link: /],
      [linkOf({ ...good, w: { ...good.w, rate: 20000 } }), /rate: the app shows 1 to 10000/],
      [linkOf({ ...good, w: { ...good.w, faults: [[100, 'crash', 9]] } }), /faults\[0\]: broker 9/],
      [linkOf({ ...good, w: { ...good.w, producer: { acks: '1', 'enable.idempotence': 'true' } } }), /acks to all in order to use the idempotent producer/],
      [linkOf({ ...good, colour: 'red' }), /colour/],
    ];
    for (const [hash, message] of cases) {
      await page.goto('about:blank');
      await page.goto(url + hash);
      await page.waitForSelector('#link-error');
      assert.match(await page.locator('#link-error').innerText(), message, hash);
      const t0 = await page.locator('#clock').textContent();
      await page.waitForFunction((t0) => document.querySelector('#clock').textContent !== t0, t0);
    }
    await page.click('#link-error .dismiss');
    await page.waitForSelector('#link-error', { state: 'detached' });
    assert.deepEqual(errors.filter((e) => !e.includes('about:blank')), []);
  });
});

test('with `&lang=ko` a refused link says why in Korean, and the switch says it in English', async () => {
  await withPage(async ({ page, url, errors }) => {
    const good = await playingState(page, url);
    const fault = linkOf({ ...good, w: { ...good.w, faults: [[100, 'meteor', 0]] } });
    const cases = [
      ['#s=this-is-not-a-link', /^이 링크를 열 수 없음 — link: (잘렸거나 바뀐|너무 긴) 링크\. 대신 기본 실행을 보여 줌\./],
      [linkOf({ ...good, w: { ...good.w, rate: 20000 } }), /— rate: 이 앱은 1부터 10000까지만 보여줌\./],
      [fault, /faults\[0\]: 알 수 없는 값 'meteor'/],
      // Kafka's own words stay Kafka's; the app's framing is in Korean.
      [linkOf({ ...good, w: { ...good.w, producer: { acks: '1', 'enable.idempotence': 'true' } } }),
        /^이 링크를 열 수 없음 — settings: .*acks to all in order to use the idempotent producer/],
    ];
    for (const [hash, message] of cases) {
      await page.goto('about:blank');
      await page.goto(`${url}?lang=ko${hash}`);
      await page.waitForSelector('#link-error');
      assert.match(await page.locator('#link-error').innerText(), message, hash);
    }
    // Worded at view time: the switch words it again, in English.
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.match(await page.locator('#link-error').innerText(),
      /^This link could not be opened — settings: .*idempotent producer.*\. Showing the default run instead\./);
    await page.goto('about:blank');
    await page.goto(`${url}?lang=ko${fault}`);
    await page.waitForSelector('#link-error');
    await page.screenshot({ path: `${ARTIFACTS}link-error-ko.png` });
    await page.click('#lang');
    assert.match(await page.locator('#link-error').innerText(), /faults\[0\]: unknown choice 'meteor'/);
    assert.deepEqual(errors.filter((e) => !e.includes('about:blank')), []);
  });
});
