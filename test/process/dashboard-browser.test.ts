import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import t from 'tap';
import { CHROMIUM, consoleProblems, demoServer, launchChromium, rendered } from '../support/browser.js';
import { LETTER } from '../support/demo-data.js';
import { records } from '../support/records.js';

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven by playwright-core, against a
 * listening server holding the demo data (the letter's figures). It reads the numbers the page
 * shows and compares them with the API's, changes a filter, downloads the CSV, switches language,
 * and fails on any console error. Screenshots go to test-artifacts/ (not in git).
 */
t.setTimeout(300_000); // ~1,500 writes of demo data, then a browser

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');

type Cells = Record<string, number | string>;
// Code run inside the page (evaluate, $$eval): the browser's globals, which the Node project does not type.
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, untyped here
declare const document: any;
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, untyped here
declare const sessionStorage: any;
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, untyped here
type HTMLElement = any;

/** A figure's table as `category|series → value` (data-value when there is a value, else the symbol shown). */
const readTable = (page: Page, figure: string): Promise<Cells> =>
  page.$$eval(`[data-figure="${figure}"] tbody tr`, (rows) => {
    const out: Record<string, number | string> = {};
    for (const row of rows) {
      for (const td of row.querySelectorAll('td')) {
        const key = `${(row as HTMLElement).dataset.category}|${td.dataset.series}`;
        out[key] = td.dataset.value !== undefined ? Number(td.dataset.value) : (td.textContent ?? '');
      }
    }
    return out;
  });

t.test('the dashboard shows the API’s figures, follows its filters and downloads its CSV', async (t) => {
  t.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (CI installs it: apt-get install -y chromium)`);
  if (!existsSync(CHROMIUM)) return;

  const { app, client, address, analyst } = await demoServer(t);
  const api = async (url: string, accept = 'application/json') => {
    const res = await fetch(`${address}${url}`, { headers: { ...analyst.auth, accept } });
    t.equal(res.status, 200, url);
    return accept === 'text/csv' ? res.text() : res.json();
  };

  mkdirSync(ARTIFACTS, { recursive: true });
  const { page } = await launchChromium(t, { acceptDownloads: true });
  const problems = consoleProblems(page);

  // Without a token: the page says what to do and shows no figures.
  await page.goto(`${address}/dashboard`);
  let n = await rendered(page, 0);
  t.match(await page.textContent('#message-text'), /Meld u aan met een token/);
  t.equal(await page.locator('[data-figure]').count(), 0, 'no figures without a token');

  // Keyboard: the first Tab reaches the skip link.
  await page.keyboard.press('Tab');
  t.match(await page.evaluate(() => document.activeElement?.className), /\butrecht-skip-link\b/, 'Tab first reaches the skip link');

  // Sign in: the token is kept in sessionStorage and sent as Bearer.
  await page.fill('#token', analyst.token);
  await page.click('#signin button[type=submit]');
  n = await rendered(page, n);
  t.equal(await page.evaluate(() => sessionStorage.getItem('registry-dashboard-token')), analyst.token);

  // The letter's view: LPP, 2017–2019.
  await page.selectOption('#yearFrom', String(LETTER.yearFrom));
  await page.selectOption('#yearTo', String(LETTER.yearTo));
  await page.selectOption('#programme', 'LPP');
  await page.click('#filters button[type=submit]');
  n = await rendered(page, n);
  const q = `yearFrom=${LETTER.yearFrom}&yearTo=${LETTER.yearTo}&programme=LPP`;

  const summaryCells = await page.$$eval('[data-figure="summary"] tbody tr', (rows) =>
    rows.map((r) => [(r as HTMLElement).dataset.category, ...[...r.querySelectorAll('td')].map((td) => Number(td.dataset.value))]),
  );
  const apiSummary = (await api(`/v1/statistics/enforcement-actions/summary?${q}`)) as {
    items: { licenceStatus: string; actions: number; municipalities: number; years: number; averagePerMunicipalityPerYear: number }[];
    total: { actions: number; municipalities: number; years: number; averagePerMunicipalityPerYear: number };
  };
  t.same(
    summaryCells,
    [
      ...apiSummary.items.map((i) => [i.licenceStatus, i.actions, i.municipalities, i.years, i.averagePerMunicipalityPerYear]),
      [
        'total',
        apiSummary.total.actions,
        apiSummary.total.municipalities,
        apiSummary.total.years,
        apiSummary.total.averagePerMunicipalityPerYear,
      ],
    ],
    'the averages table shows the API’s summary',
  );
  t.same(
    summaryCells.slice(0, 2).map((r) => r[1]),
    [LETTER.licensed, LETTER.unlicensed],
    'the letter’s 85 and 610',
  );

  const expectTable = async (figure: string, groupBy: string, query: string, category: string, series: string) => {
    const body = (await api(`/v1/statistics/enforcement-actions?${query}&groupBy=${groupBy}`)) as {
      items: Record<string, number | string>[];
    };
    const shown = await readTable(page, figure);
    const expected: Cells = {};
    for (const r of body.items) expected[`${r[category]}|${r[series]}`] = r.status === 'not_reported' ? '.' : (r.actions as number);
    t.same(shown, expected, `${figure}: the page shows the API’s numbers (${Object.keys(expected).length} cells)`);
    return shown;
  };
  const before = await expectTable('year-licence', 'year,licenceStatus', q, 'year', 'licenceStatus');
  await expectTable('municipality-year', 'year,municipality', q, 'municipalityCode', 'year');
  await expectTable('measure', 'licenceStatus,measure', q, 'measure', 'licenceStatus');
  await expectTable('ground', 'licenceStatus,ground', q, 'ground', 'licenceStatus');
  t.ok(await page.locator('[data-figure="year-licence"] svg[role=img] rect').count(), 'the chart has bars');
  t.match(await page.textContent('#rule-api'), /decided, objection, appeal, final/, 'the counting rule from the API answer');
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });

  // The CSV of what is shown is the API's CSV for the same query.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-csv="year-licence"]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  t.equal(
    csv,
    await api(`/v1/statistics/enforcement-actions?${q}&stage=decided,objection,appeal,final&groupBy=year,licenceStatus`, 'text/csv'),
  );

  // A filter changes the figures: Amsterdam only.
  await page.selectOption('#municipality', 'GM0363');
  await page.click('#filters button[type=submit]');
  n = await rendered(page, n);
  const amsterdam = await expectTable('year-licence', 'year,licenceStatus', `${q}&municipalityCode=GM0363`, 'year', 'licenceStatus');
  t.not(amsterdam, before, 'the numbers changed with the filter');
  t.equal(await page.locator('[data-figure="municipality-year"] tbody tr').count(), 1, 'one municipality left');

  // English.
  await page.click('#language');
  n = await rendered(page, n);
  t.equal(await page.getAttribute('html', 'lang'), 'en');
  t.match(await page.textContent('h1'), /Administrative enforcement/);
  t.match(await page.textContent('[data-figure="year-licence"] h2'), /Actions per year, licensed and unlicensed/);

  // A municipality-year attested with nothing to report (GM0080, 2020; an action of GM0363 in 2020 brings
  // that year into the table): the open variant shows its 0 as a figure, as the API marks it.
  const write = records(app);
  const officer = await client('officer', 'GM0363');
  const club = await write.establishment(officer.auth);
  await write.action(officer.auth, club.id, { decisionDate: '2020-03-02' });
  const attested = await app.inject({
    method: 'POST',
    url: '/v1/reporting-attestations',
    headers: (await client('officer', 'GM0080')).auth,
    payload: { municipalityCode: 'GM0080', year: 2020, complete: true, nothingToReport: true },
  });
  t.equal(attested.statusCode, 201, 'GM0080 attests 2020: nothing to report');
  // Groningen merged away at the end of 2019: from 2020 it is in no scope.
  const merged = await app.inject({
    method: 'PATCH',
    url: '/v1/municipalities/GM0014',
    headers: { ...(await client('admin')).auth, 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
    payload: { lastYear: 2019 },
  });
  t.equal(merged.statusCode, 200, merged.body);

  // The analyst's view of 2020: Amsterdam's action, GM0080's attested 0, and a 0 nobody reported (the
  // other LPP municipalities) shown as not reported, not as a figure.
  await page.goto(`${address}/dashboard`);
  n = await rendered(page, 0);
  await page.selectOption('#municipality', '');
  await page.selectOption('#programme', 'LPP');
  await page.selectOption('#yearFrom', '2020');
  await page.selectOption('#yearTo', '2020');
  await page.click('#filters button[type=submit]');
  n = await rendered(page, n);
  const year2020 = await expectTable(
    'municipality-year',
    'year,municipality',
    'yearFrom=2020&yearTo=2020&programme=LPP',
    'municipalityCode',
    'year',
  );
  t.match(year2020, { 'GM0363|2020': 1, 'GM0080|2020': 0 }, 'a counted action and an attested 0 are figures');
  t.ok(Object.values(year2020).filter((v) => v === '.').length >= 5, 'the municipality-years nobody reported are marked, not shown as 0');
  t.notOk(
    Object.keys(year2020).some((k) => k.startsWith('GM0014|')),
    'a municipality merged away before 2020 is not in its scope',
  );

  // 2019–2020: Groningen's 2019 is a figure, its 2020 is marked as a year it did not exist, and the
  // divisor says that it leaves such years out.
  await page.selectOption('#yearFrom', '2019');
  await page.click('#filters button[type=submit]');
  n = await rendered(page, n);
  const twoYears = await readTable(page, 'municipality-year');
  t.type(twoYears['GM0014|2019'], 'number', 'Groningen in 2019: a figure');
  t.equal(twoYears['GM0014|2020'], '–', 'Groningen in 2020: did not exist');
  t.equal(Object.values(twoYears).filter((v) => v === '–').length, 1, 'no other cell is marked so');
  t.match(await page.textContent('#summary'), /less the years in which one did not exist|minus de jaren dat een gemeente niet bestond/);

  // The public variant: open data, suppressed cells as x, no token.
  await page.goto(`${address}/dashboard/open`);
  await rendered(page, 0);
  const open = (await (await fetch(`${address}/v1/open-data/enforcement-actions?groupBy=year,municipality`)).json()) as {
    cells: { year: number; municipalityCode: string; value: number | null; status: string }[];
  };
  const shownOpen = await readTable(page, 'municipality-year');
  const expectedOpen: Cells = {};
  // Groningen after its merger: the published grid holds a known 0 there; the page marks it as a year it did not exist.
  const merger = (c: { municipalityCode: string; year: number }) => c.municipalityCode === 'GM0014' && c.year > 2019;
  for (const c of open.cells)
    expectedOpen[`${c.municipalityCode}|${c.year}`] = merger(c) ? '–' : (c.value ?? (c.status === 'suppressed' ? 'x' : '.'));
  t.ok(
    open.cells.filter(merger).length > 0 && open.cells.filter(merger).every((c) => c.value === 0 && c.status === 'zero'),
    'the open data has Groningen’s years after the merger as known zeros',
  );
  t.ok(
    open.cells.some((c) => c.municipalityCode === 'GM0080' && c.year === 2020 && c.status === 'nothing_to_report'),
    'the open data has the attested 0',
  );
  t.strictSame(shownOpen, expectedOpen, 'the open variant shows the published cells as figures, withheld ones as x');
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-open.png'), fullPage: true });

  t.same(problems, [], 'no console errors or warnings');
});
