// Scenario files (shared/SCENARIO.md) in the app: opened from the site by URL or picked
// from disk, saved back out, carried whole by a share link; the same file run by the
// kafka-lab CLI agrees with the app; a broken file is refused with its path named while
// the run on screen stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { withPage, ARTIFACTS, seek, painted } from './helpers.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;

/** What the run shows at the moment on screen, independent of the panels around it. */
const picture = async (page) => (await painted(page), page.evaluate(() => ({
  clock: document.querySelector('#clock').textContent,
  sent: document.querySelector('#send-count').textContent,
  ledger: [...document.querySelectorAll('[data-ledger]')].map((c) => c.textContent).join(' '),
  brokers: [...document.querySelectorAll('.broker')].map((b) => b.textContent).join(' | '),
  consumers: document.querySelector('#consumers')?.textContent ?? '',
  canvas: document.querySelector('canvas.particles').toDataURL(),
})));

/** The kafka-lab CLI's result for a scenario file, run to `untilMs`. */
const cli = (path, untilMs) => JSON.parse(execFileSync('cargo',
  ['run', '-q', '-p', 'kafka-lab-core', '--bin', 'kafka-lab', '--', 'run', path, '--until-ms', String(untilMs)],
  { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 }));

test('a scenario file of the site opens from the URL, paused at its start, and plays', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(`${url}?scenario=scenarios/example.json`);
    await page.waitForSelector('#scenario-file .file-name');
    assert.match(await page.locator('#scenario-file').innerText(), /example\.json[\s\S]*3 brokers · 1 producer · 1 consumer · 4 actions/);
    assert.equal(await page.locator('#clock').textContent(), 't = 0.000 s / 5 s');
    for (const id of ['keys', 'rate', 'value-bytes', 'send-mode', 'transactions', 'partitions', 'replication-factor']) {
      assert.ok(await page.locator(`#${id}`).isDisabled(), `${id}: set by the file`);
    }
    // The panels show the file's producer and topic.
    assert.equal(await page.inputValue('#kafka-version'), '3.9');
    assert.equal(await page.inputValue('#acks'), 'all');
    assert.equal(await page.inputValue('#min-insync-replicas'), '2');
    await seek(page, 5000);
    await page.waitForFunction(() => document.querySelector('#send-count').textContent === '1001');
    // Broker 1 crashed at 100 ms and came back at 900 ms, as the file says.
    const events = await page.locator('.events').innerText();
    assert.ok(!/stopped/.test(events));
    await page.screenshot({ path: `${ARTIFACTS}scenario-url.png` });
    const result = cli(`${ROOT}www/scenarios/example.json`, 5000);
    assert.equal(result.sends.length, 1001);
    const acked = result.sends.filter((s) => s.outcome === 'acked').length;
    assert.match(await page.locator('[data-ledger="acked"]').textContent(), new RegExp(`^${acked}`));
    assert.deepEqual(errors, []);
  });
});

test('a missing or broken file named in the URL is refused, and the default run plays', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(`${url}?scenario=scenarios/missing.json`);
    await page.waitForSelector('#link-error');
    assert.match(await page.locator('#link-error').innerText(), /scenario: .*HTTP 404/);
    assert.equal(await page.locator('#scenario-file .file-name').count(), 0);
    assert.ok(errors.every((e) => /404/.test(e)), errors.join('\n'));
  });
});

test('the run saved as a scenario file opens again as the same run, and the CLI agrees', async () => {
  const saved = `${ARTIFACTS}saved-scenario.json`;
  let before;
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.click('#play'); // pause
    await page.selectOption('#acks', '1');
    await page.selectOption('#replication-factor', '3');
    await seek(page, 1200);
    await page.click('#crash-0');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-file')]);
    assert.equal(download.suggestedFilename(), 'kafka-lab-scenario.json');
    await download.saveAs(saved);
    await seek(page, 3000);
    before = await picture(page);
    assert.deepEqual(errors, []);
  });
  const scenario = JSON.parse(readFileSync(saved, 'utf8'));
  assert.equal(scenario.producers[0].config.acks, '1');
  assert.deepEqual(scenario.actions.at(-1), { at_ms: 1200, action: 'crash_broker', broker: 0 });
  // The native runner takes the file as it is, and counts what the app counted.
  const result = cli(saved, 3000);
  assert.equal(String(result.sends.length), before.sent);
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.setInputFiles('#open-file-input', saved);
    await page.waitForSelector('#scenario-file .file-name');
    assert.equal(await page.inputValue('#acks'), '1');
    await seek(page, 3000);
    const after = await picture(page);
    assert.deepEqual(after, before, 'the same run, record for record and pixel for pixel');
    // Saved again, unedited, it is the same file, under its name.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-file')]);
    assert.equal(download.suggestedFilename(), 'saved-scenario.json');
    const again = `${ARTIFACTS}saved-again.json`;
    await download.saveAs(again);
    assert.deepEqual(JSON.parse(readFileSync(again, 'utf8')), scenario);
    // Back to the panels' own workload.
    await page.click('#close-file');
    assert.equal(await page.locator('#scenario-file .file-name').count(), 0);
    assert.ok(!(await page.locator('#rate').isDisabled()));
    assert.deepEqual(errors, []);
  });
});

test('a broken file is refused with its path named; the run on screen stays', async () => {
  const broken = `${ARTIFACTS}broken-scenario.json`;
  const refused = `${ARTIFACTS}refused-scenario.json`;
  writeFileSync(broken, '{"brokers": "three", "topics": [], "until_ms": 10}');
  const example = JSON.parse(readFileSync(`${ROOT}www/scenarios/example.json`, 'utf8'));
  example.producers[0].config = { acks: '1', 'enable.idempotence': 'true' };
  writeFileSync(refused, JSON.stringify(example));
  await withPage(async ({ page, url, errors }) => {
    await page.goto(`${url}?scenario=scenarios/example.json`);
    await page.waitForSelector('#scenario-file .file-name');
    await seek(page, 700);
    await page.waitForFunction(() => document.querySelector('#clock').textContent.startsWith('t = 0.700 s'));
    const before = await picture(page);
    await page.setInputFiles('#open-file-input', broken);
    await page.waitForSelector('#config-error');
    assert.match(await page.locator('#config-error').innerText(), /broken-scenario\.json could not be opened: brokers: invalid type/);
    await page.setInputFiles('#open-file-input', refused);
    await page.waitForFunction(() => /refused-scenario/.test(document.querySelector('#config-error')?.textContent));
    // Kafka's own rule, at the file's own path.
    assert.match(await page.locator('#config-error').innerText(), /producers\[0\]\.config\.(acks|enable\.idempotence): .*idempoten/i);
    assert.deepEqual(await picture(page), before, 'the last good run stays');
    assert.match(await page.locator('#scenario-file').innerText(), /example\.json/);
    assert.deepEqual(errors, []);
  });
});

test('a share link carries the file and the edits on it', async () => {
  let link, before;
  await withPage(async ({ page, url, errors }) => {
    await page.goto(`${url}?scenario=scenarios/example.json`);
    await page.waitForSelector('#scenario-file .file-name');
    await page.selectOption('#latency', '50');
    await page.selectOption('#compression-type', 'lz4');
    await seek(page, 2500);
    await page.click('#share');
    link = await page.inputValue('#share-link');
    assert.ok(link.length < 1500, `${link.length} characters`);
    before = await picture(page);
    assert.deepEqual(errors, []);
  });
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url + link.slice(link.indexOf('#')));
    await page.waitForSelector('#scenario-file .file-name');
    assert.equal(await page.inputValue('#latency'), '50');
    assert.equal(await page.inputValue('#compression-type'), 'lz4');
    assert.deepEqual(await picture(page), before);
    assert.deepEqual(errors, []);
  });
});
