// The lifecycle inspector: a record clicked in a log or a consumer shows its whole life
// with timestamps in order; an in-flight request and a producer-state entry open too; and
// after going back in time the record shows only what had happened by then. A replica
// says why its high watermark is where it is, frozen under min.insync.replicas too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { withPage, ARTIFACTS, seek } from './helpers.mjs';

/** The lifecycle's steps: [{ step, at }] in the order shown. */
const steps = (page) => page.$$eval('#lifecycle-steps li', (lis) =>
  lis.map((li) => ({ step: li.dataset.step, at: Number(li.dataset.at), text: li.textContent })));

const first = (list, step) => list.find((s) => s.step === step);

test('a record, a request and a producer-state entry, live and after stepping back', async () => {
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.selectOption('#replication-factor', '3');
    await seek(page, 3000);
    await page.waitForFunction(() => document.querySelector('#clock').textContent.includes('3.000'));

    // A record a consumer returned: its whole life, opened with the keyboard.
    const cell = await page.$('.consumer .ccell[role=button]');
    assert.ok(cell, 'the consumers show records');
    await cell.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#lifecycle #lifecycle-steps');
    const life = await steps(page);
    const order = ['created', 'appended', 'sent', 'written', 'replicated', 'committed', 'acked', 'consumed'];
    for (const s of order) assert.ok(first(life, s), `a ${s} step in ${JSON.stringify(life.map((l) => l.step))}`);
    const at = (s) => first(life, s).at;
    assert.ok(at('created') <= at('appended') && at('appended') <= at('sent'));
    assert.ok(at('sent') < at('written'), 'the network takes time');
    assert.ok(life.filter((s) => s.step === 'replicated').every((s) => at('written') < s.at && s.at <= at('committed')),
      'both followers copy it before the high watermark passes it');
    assert.ok(at('committed') <= at('acked'), 'acks=all answers once committed');
    assert.ok(at('committed') < at('consumed'));
    for (let i = 1; i < life.length; i++) assert.ok(life[i - 1].at <= life[i].at, 'in time order');
    assert.match(first(life, 'sent').text, /linger\.ms|batch\.size|retry|flush/, 'says why it was sent');
    assert.match(first(life, 'created').text, /murmur2|sticky|KIP/, 'says why this partition');
    assert.ok(life.filter((s) => s.step === 'replicated').length >= 2, 'two followers');
    await page.screenshot({ path: `${ARTIFACTS}/inspector-record.png` });

    // Back in time: the same record before its answer shows no answer yet.
    await seek(page, at('written'));
    await page.waitForFunction((t) => document.querySelector('#clock').textContent.includes((t / 1000).toFixed(3)), at('written'));
    const then = await steps(page);
    assert.ok(first(then, 'written'), 'written by then');
    assert.ok(!first(then, 'acked') && !first(then, 'consumed'), `not yet acked: ${JSON.stringify(then.map((l) => l.step))}`);
    assert.match(await page.textContent('#lifecycle-state'), /waiting|기다리는/);
    await page.click('#step-back');
    const before = await steps(page);
    assert.ok(before.length <= then.length, 'stepping back never adds a step');
    assert.ok(before.every((s) => s.at <= at('written')));

    // A record in a partition log on the stage (the click does not open the replica).
    await seek(page, 3000);
    await page.click('.log.leader rect[role=button]');
    await page.waitForSelector('#lifecycle #lifecycle-steps');
    assert.equal(await page.$('#replica-inspector'), null);
    assert.ok(first(await steps(page), 'written'));

    // An in-flight request: step until one is in flight, open it, then watch it end.
    let slot = null;
    for (let i = 0; i < 300 && !slot; i++) {
      await page.click('#step');
      slot = await page.$('.sender circle[role=button]');
    }
    assert.ok(slot, 'a request in flight');
    const request = await slot.getAttribute('data-request');
    await slot.click();
    await page.waitForSelector('#lifecycle #lifecycle-steps');
    assert.match(await page.textContent('#lifecycle h3'), new RegExp(`ProduceRequest ${request}`));
    assert.match(await page.textContent('#lifecycle-state'), /in flight|진행 중/);
    const sent = await steps(page);
    assert.equal(sent[0].step, 'sent');
    assert.match(sent[0].text, /batch \d+:/, 'each batch with its reason');
    for (let i = 0; i < 300; i++) {
      if ((await steps(page)).some((s) => s.step === 'acked')) break;
      await page.click('#step');
    }
    const done = await steps(page);
    assert.ok(first(done, 'written') && first(done, 'acked'), JSON.stringify(done.map((l) => l.step)));
    assert.ok(first(done, 'written').at <= first(done, 'acked').at);

    // A producer-state entry, from the replica inspector: the id given out and the writes.
    await page.click('.log.leader text');
    await page.waitForSelector('#replica-inspector #producer-state tr[data-pid]');
    await page.click('#producer-state tr[data-pid]');
    await page.waitForSelector('#lifecycle #entry-batches');
    assert.match(await page.textContent('#lifecycle h3'), /Producer state · PID \d+/);
    const entry = await steps(page);
    assert.ok(first(entry, 'producer-id'), JSON.stringify(entry.map((l) => l.step)));
    assert.ok(first(entry, 'written'));
    assert.ok((await page.$$('#entry-batches tbody tr')).length >= 1);
    const linked = await page.$('#entry-batches button.link');
    await linked.click();
    await page.waitForSelector('#lifecycle-steps li[data-step=created]');
    await page.screenshot({ path: `${ARTIFACTS}/inspector-entry-record.png` });

    // In Korean too.
    await page.click('#lang');
    await page.waitForFunction(() => /레코드/.test(document.querySelector('#lifecycle h3').textContent));
    assert.match(await page.textContent('#lifecycle-steps'), /호출/);
    assert.deepEqual(errors, []);
  });
});

test('a long life shows its first and last steps, and how many lie between', async () => {
  // A record refused (NOT_ENOUGH_REPLICAS) and retried every 100 ms: by 60 s its life has
  // hundreds of steps; the inspector draws the first and last 200.
  const file = `${ARTIFACTS}/retried.json`;
  writeFileSync(file, JSON.stringify({
    seed: 1, kafka_version: '4.0', brokers: 3,
    topics: [{ name: 't', partitions: 1, replication_factor: 3, config: { 'min.insync.replicas': '3' } }],
    producers: [{ name: 'p', config: { 'linger.ms': '0', 'retry.backoff.ms': '100', 'retry.backoff.max.ms': '100' } }],
    actions: [{ at_ms: 0, action: 'crash_broker', broker: 2 },
      { at_ms: 100, action: 'send', producer: 'p', topic: 't', value: 'v', partition: 0 }],
    until_ms: 100000,
  }));
  await withPage(async ({ page, url, errors }) => {
    await page.goto(url);
    await page.waitForSelector('#app-root .stage-svg');
    await page.setInputFiles('#open-file-input', file);
    await page.waitForSelector('#scenario-file .file-name');
    await seek(page, 60000);
    for (let i = 0; i < 200 && !(await page.locator('.batch').count()); i++) await page.click('#step');
    await page.click('.batch');
    await page.click('#inspector tr.clickable');
    await page.waitForSelector('#lifecycle #lifecycle-steps');
    const life = await steps(page);
    assert.equal(life.length, 401, 'the first 200, the gap, the last 200');
    assert.equal(life[0].step, 'created');
    const gap = life.findIndex((s) => s.step === 'omitted');
    assert.equal(gap, 200);
    const omitted = Number(life[gap].text.match(/(\d+) more steps/)[1]);
    assert.ok(omitted > 200, life[gap].text);
    assert.ok(life.every((s, i) => i === gap || s.step === 'omitted' || s.at <= 60000));
    assert.deepEqual(errors, []);
  });
});

test("under min.insync.replicas the leader's high watermark is frozen (3.7+), and the inspector says why", async () => {
  await withPage(async ({ page, url, errors }) => {
    // The min-isr lesson's run: at 22 s broker 1 leads orders-0 with an ISR of one.
    await page.goto(`${url}?scenario=scenarios/lessons/min-isr.json`);
    await page.waitForSelector('#app-root .stage-svg');
    await seek(page, 22_000);
    await page.click('#broker-1 .log.leader text');
    await page.waitForSelector('#replica-inspector');
    assert.match(await page.textContent('#hw-why'), /frozen while the ISR is under min\.insync\.replicas \(since 3\.7, KAFKA-15583\)/);
    // Back before the crash: the ISR is two, and the high watermark follows the LEOs.
    await seek(page, 11_000);
    await page.click('#broker-0 .log.leader text');
    await page.waitForFunction(() => /smallest LEO/.test(document.querySelector('#hw-why')?.textContent));
    assert.deepEqual(errors, []);
  });
});
