import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { generateDemoData } from './demo-data.js';
import { loadDemoData } from './demo-load.js';
import { build, type TestContext } from './helper.js';

/** Debian's Chromium (`apt-get install -y chromium`); the browser tests fail, rather than skip, without it. */
export const CHROMIUM = '/usr/bin/chromium';

// Code run inside the page (evaluate, waitForFunction): the browser's globals, which the Node project does not type.
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, untyped here
declare const document: any;

/** The subset of tap's Test this helper needs. */
interface TestLike {
  teardown(fn: () => unknown): void;
}

/**
 * Headless Chromium through playwright-core, with a fresh profile removed afterwards, no network of its
 * own (no sync, updates or QUIC), and its first page. Closed when the test ends.
 */
export async function launchChromium(
  t: TestLike,
  opts: { acceptDownloads?: boolean } = {},
): Promise<{ browser: BrowserContext; page: Page }> {
  const profile = mkdtempSync(path.join(tmpdir(), 'dashboard-chromium-'));
  t.teardown(() => rmSync(profile, { recursive: true, force: true }));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: opts.acceptDownloads ?? false,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.teardown(() => browser.close());
  const page = browser.pages()[0] ?? (await browser.newPage());
  return { browser, page };
}

/**
 * The service on a fresh database holding the demo data (the letter's figures), listening on a free
 * loopback port, with an analyst's client. About 1,500 writes: the test file raises its timeout.
 */
export async function demoServer(
  t: TestLike,
): Promise<TestContext & { address: string; analyst: { token: string; auth: { authorization: string } } }> {
  const context = await build(t);
  await loadDemoData(context.services, generateDemoData());
  const analyst = await context.client('analyst');
  const address = await context.app.listen({ port: 0, host: '127.0.0.1' });
  return { ...context, address, analyst };
}

/** Collects the page's console errors and warnings and its uncaught errors. */
export function consoleProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

/** Waits until the dashboard has drawn once more than `before` and is idle; returns its render count. */
export async function rendered(page: Page, before: number): Promise<number> {
  await page.waitForFunction((n) => Number(document.body.dataset.renders) > n && document.body.dataset.state === 'ready', before);
  return Number(await page.evaluate(() => document.body.dataset.renders));
}
