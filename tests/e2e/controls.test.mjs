// The config panels: topic, producer and consumer properties in Kafka's doc sections, with
// the version's defaults, changed values marked, and an invalid combination refused with
// Kafka's own rule while the run keeps its last valid settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, ARTIFACTS, settled } from './helpers.mjs';

const isSet = (page, id) => page.evaluate((id) =>
  document.querySelector(`#${id}`).closest('label').classList.contains('set'), id);
const optionText = (page, id) => page.evaluate((id) =>
  document.querySelector(`#${id} option[value=""]`).textContent, id);
/** The default a property's panel shows, once it reads `re`: a version change re-renders
 * the panels a frame later, not within selectOption. */
const defaultShows = async (page, id, re, what) => {
  await page.waitForFunction(([id, src]) => new RegExp(src)
    .test(document.querySelector(`#${id} option[value=""]`)?.textContent ?? ''), [id, re.source], { timeout: 5_000 })
    .catch(() => {});
  assert.match(await optionText(page, id), re, what);
};

test('sections, defaults per version, changes marked, Kafka rules enforced', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause: the run must stay where it is through the edits
    const headings = await page.locator('.controls h2').allInnerTexts();
    for (const h of ['TOPIC CONFIGS', 'PRODUCER CONFIGS', 'CONSUMER CONFIGS']) {
      assert.ok(headings.some((t) => t.toUpperCase().includes(h)), `${h} in ${headings}`);
    }

    // Every section shows its defaults; the producer's follow the version.
    assert.match(await optionText(page, 'min-insync-replicas'), /default · 1$/);
    assert.match(await optionText(page, 'fetch-max-wait-ms'), /default · 500$/);
    assert.match(await optionText(page, 'linger-ms'), /default · 5$/, '4.0: linger.ms 5');
    await page.selectOption('#kafka-version', '3.9');
    await defaultShows(page, 'linger-ms', /default · 0$/, '3.9: linger.ms 0');
    await page.selectOption('#kafka-version', '2.8');
    await defaultShows(page, 'acks', /default · 1$/, '2.8: acks=1');
    await page.selectOption('#kafka-version', '4.0');
    await defaultShows(page, 'acks', /default · all$/, '4.0: acks=all');

    // A changed value is marked, in every section; back to default unmarks it.
    // (The app starts with batch.size and linger.ms set, to make batches visible.)
    assert.equal(await isSet(page, 'linger-ms'), true);
    for (const [id, value] of [['min-insync-replicas', '2'], ['compression-type', 'lz4'], ['fetch-max-wait-ms', '100']]) {
      assert.equal(await isSet(page, id), false, `${id} starts at its default`);
      await page.selectOption(`#${id}`, value);
      await settled(page);
      assert.equal(await isSet(page, id), true, `${id} marked once changed`);
    }
    await page.selectOption('#linger-ms', '');
    await settled(page);
    assert.equal(await isSet(page, 'linger-ms'), false);

    // The application's code on the stage follows: the properties set, the send() call.
    const code = () => page.locator('#code-box').textContent();
    assert.doesNotMatch(await code(), /linger\.ms/);
    assert.match(await code(), /props\.put\("compression\.type", "lz4"\);/);
    assert.match(await code(), /producer\.send\(record, callback\);/);
    await page.selectOption('#send-mode', 'sync');
    await settled(page);
    assert.match(await code(), /producer\.send\(record\)\.get\(\);/);
    await page.selectOption('#send-mode', 'async');

    // min.insync.replicas above the replication factor: Kafka creates the topic; the
    // facts say what acks=all does with it in this version.
    await page.selectOption('#min-insync-replicas', '3');
    await page.waitForSelector('.facts li:has-text("KAFKA-15583")');

    // An invalid combination: Kafka's ConfigException, and the last valid run stays.
    const clock = await page.locator('#clock').innerText();
    await page.selectOption('#enable-idempotence', 'true');
    await page.selectOption('#max-in-flight-requests-per-connection', '6');
    const error = await page.locator('#config-error').innerText();
    assert.match(error, /max\.in\.flight\.requests\.per\.connection to at most 5/);
    assert.equal(await page.locator('#clock').innerText(), clock, 'the run is untouched');
    assert.equal(await isSet(page, 'max-in-flight-requests-per-connection'), false,
      'the panel shows the settings in force, not the refused one');
    await page.selectOption('#enable-idempotence', '');
    await page.waitForSelector('#config-error', { state: 'detached' });
    await page.screenshot({ path: `${ARTIFACTS}controls.png` });
    assert.deepEqual(errors, []);
  });
});

test('a run holding more record data than the app keeps is refused, and the last run stays', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause
    // The panel's largest choices: 600 MB of values over the minute, kept.
    await page.selectOption('#rate', '10000');
    await page.selectOption('#value-bytes', '1000');
    assert.equal(await page.locator('#config-error').count(), 0);
    const clock = await page.locator('#clock').innerText();
    // As byte[] each value is kept as its hex text too: 1.8 GB, past what the app keeps.
    await page.selectOption('#value-serializer', 'ByteArraySerializer');
    assert.match(await page.locator('#config-error').innerText(),
      /value\.serializer: the run's keys and values come to 1\.8 GB; the app keeps at most 1 GiB/);
    assert.equal(await page.locator('#clock').innerText(), clock, 'the run is untouched');
    assert.equal(await page.inputValue('#value-bytes'), '1000');
    assert.deepEqual(errors, []);
  });
});
