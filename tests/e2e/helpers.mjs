// Shared setup for the end-to-end tests: serve www/ on a free loopback port and drive
// Debian's chromium with playwright-core (no browser download).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { startServer } from '../../scripts/serve.mjs';

export const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;

/** A share link's fragment (`#s=…`), the app state it carries, and a link made of one. */
export const fragment = (link) => link.slice(link.indexOf('#'));
export const stateOf = (link) => JSON.parse(inflateRawSync(Buffer.from(fragment(link).slice(3), 'base64url')));
export const linkOf = (state) => `#s=${deflateRawSync(Buffer.from(JSON.stringify(state))).toString('base64url')}`;
mkdirSync(ARTIFACTS, { recursive: true });

const ARGS = [
  '--no-sandbox', '--headless=new', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

/** Runs `fn({ page, url, errors })` against a fresh server and browser page. */
export async function withPage(fn, { width = 1280, height = 720, base = '/' } = {}) {
  const server = await startServer({ port: 0, base });
  const url = `http://127.0.0.1:${server.address().port}${base}`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width, height } });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await fn({ page, url, errors });
  } finally {
    await browser.close();
    server.close();
  }
}

/**
 * The rendered state: the stage, the panels, the event log, and the canvas pixels. The
 * markup is compared with each element's attributes in name order: the order Yew happened
 * to set them in (which depends on what the element showed before) is not the picture.
 * Taken once the page has painted (`painted`).
 */
export const snapshot = async (page) => {
  // The canvas is painted a frame or more after the DOM, more than one on a loaded
  // machine: read until two reads a frame apart agree.
  let last;
  for (let i = 0; i < 10; i++) {
    await painted(page);
    const now = await read(page);
    if (last && now.canvas === last.canvas && now.html === last.html) return now;
    last = now;
  }
  return last;
};

const read = (page) => page.evaluate(() => ({
  html: (() => {
    const copy = document.querySelector('#app-root .main').cloneNode(true);
    for (const el of [copy, ...copy.querySelectorAll('*')]) {
      const attrs = [...el.attributes].map((a) => [a.name, a.value]).sort(([a], [b]) => (a < b ? -1 : 1));
      for (const [name] of attrs) el.removeAttribute(name);
      for (const [name, value] of attrs) el.setAttribute(name, value);
    }
    return copy.innerHTML;
  })(),
  events: document.querySelector('.events').innerHTML,
  clock: document.querySelector('#clock').textContent,
  canvas: document.querySelector('canvas.particles').toDataURL(),
}));

/** Resolves once the page has caught up: after a long update Yew's scheduler may yield
 * (a setTimeout) between patching the DOM and `rendered`, where the canvas is painted. */
export const painted = (page) => page.evaluate(() => new Promise((done) => {
  setTimeout(() => requestAnimationFrame(() => setTimeout(done, 0)), 0);
}));

/** Resolves once a settings change shows: the run replays to the moment on screen first,
 * in slices when that takes long, and the panels follow the settings of the run shown. */
export const settled = async (page) => {
  await painted(page);
  await page.waitForFunction(() => !document.querySelector('#catching-up')?.textContent);
};

/** Moves the scrubber to virtual time `t` (ms), as dragging it does, and resolves once
 * the run is there (a seek that takes long goes on in tasks, saying so meanwhile). */
export const seek = async (page, t) => {
  await page.evaluate((t) => {
    const s = document.querySelector('#scrubber');
    s.value = String(t);
    s.dispatchEvent(new Event('input', { bubbles: true }));
  }, t);
  await settled(page);
};
