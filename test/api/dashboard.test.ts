import t from 'tap';
import { build, json } from '../support/helper.js';

/** The dashboard's files as the service serves them (the browser test drives the page itself). */
t.test('dashboard: pages, module and design-system CSS, with a strict CSP; outside the contract', async (t) => {
  const { app } = await build(t);
  for (const [url, type] of [
    ['/dashboard', 'text/html'],
    ['/dashboard/open', 'text/html'],
    ['/dashboard/dashboard.js', 'text/javascript'],
    ['/dashboard/dashboard.css', 'text/css'],
    ['/dashboard/assets/components.css', 'text/css'],
    ['/dashboard/assets/theme.css', 'text/css'],
  ] as const) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 200, url);
    t.match(res.headers['content-type'], type, `${url}: ${type}`);
    t.match(res.headers['content-security-policy'], /script-src 'self'; style-src 'self'/, `${url}: no inline script or style`);
    t.ok(res.body.length > 100, `${url}: has content`);
  }
  const page = (await app.inject({ url: '/dashboard' })).body;
  t.match(page, /data-mode="analyst"/);
  t.match((await app.inject({ url: '/dashboard/open' })).body, /data-mode="open"/);
  t.notMatch(page, /<script>|<style>|style="|https?:\/\//, 'no inline script or style, nothing from another origin');
  // Without JavaScript the page still says what it is, and where the open data is to be had.
  t.match(page, /data-i18n="introAnalyst">Exacte cijfers voor analisten/, 'the introduction is in the HTML');
  t.match(page, /data-i18n="toOpen">Naar de open data/, 'so is the link to the other variant');
  const noscript = /<noscript>.*href="([^"]+)".*<\/noscript>/s.exec(page)?.[1];
  t.equal(noscript, '/v1/open-data/enforcement-actions/csv', 'a noscript note points at the open data as CSV');
  const csv = await app.inject({ url: noscript as string });
  t.equal(csv.statusCode, 200, csv.body.slice(0, 200));
  t.match(csv.headers['content-type'], /^text\/csv/);
  t.match((await app.inject({ url: '/dashboard/assets/components.css' })).body, /\.utrecht-table/);
  t.match((await app.inject({ url: '/dashboard/assets/theme.css' })).body, /\.voorbeeld-theme/);

  for (const url of ['/dashboard/assets/nope.css', '/dashboard/assets/..%2Fpackage.json', '/dashboard/']) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 404, url);
  }
  const paths = Object.keys(json<{ paths: Record<string, unknown> }>(await app.inject({ url: '/v1/openapi.json' })).paths);
  t.notOk(
    paths.some((p) => p.includes('dashboard')),
    'the HTML pages are not operations of the API',
  );
});
