import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import t from 'tap';
import { CHROMIUM, consoleProblems, demoServer, launchChromium, rendered } from '../support/browser.js';

/**
 * The dashboard against WCAG 2.1 AA, as far as a machine can tell: axe-core (the WCAG 2.0 and 2.1
 * A and AA rules) on every state of both variants, in Dutch and in English, and a walk with the
 * keyboard alone (Tab order, visible focus, signing in and loading the figures). Debian's headless
 * Chromium through playwright-core, as in dashboard-browser.test.ts, on the demo data.
 */
t.setTimeout(300_000); // ~1,500 writes of demo data, then a browser and a dozen axe runs

const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

// Code run inside the page (evaluate, $$eval): the browser's globals, which the Node project does not type.
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, untyped here
declare const document: any;
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, untyped here
declare const getComputedStyle: any;
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, untyped here
declare const innerHeight: any;
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, untyped here
declare const requestAnimationFrame: any;
// biome-ignore lint/suspicious/noExplicitAny: the page's DOM, untyped here
type Element = any;

/** The WCAG contrast ratio of two colours as a browser computes them (`rgb(r, g, b)`). */
function contrast(a: string, b: string): number {
  const luminance = (c: string) => {
    const [r = 0, g = 0, bl = 0] = (c.match(/[0-9.]+/g) ?? []).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** A failing request, as the service answers one (problem+json). */
const unavailable = {
  status: 503,
  contentType: 'application/problem+json',
  body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'The database is not reachable.' }),
};

// The markup and focus order axe and the keyboard walk judge do not depend on the database behind the
// figures: the PostgreSQL run of the suite skips this file (~20 s), and dashboard-browser.test.ts drives
// the dashboard against PostgreSQL there.
const skip = process.env.DATABASE_URL ? 'the markup does not depend on the database: runs in the embedded-database suite' : false;

t.test(
  'the dashboard has no WCAG 2.1 A or AA violation axe finds, in any state, and works with the keyboard alone',
  { skip },
  async (t) => {
    t.ok(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (CI installs it: apt-get install -y chromium)`);
    if (!existsSync(CHROMIUM)) return;

    const { address, analyst } = await demoServer(t);
    const { page } = await launchChromium(t);
    const problems = consoleProblems(page);

    /** Runs axe on the page as it is and asserts no violation; the message lists each rule, its help and where. */
    const axe = async (state: string) => {
      const { violations } = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
      const found = violations.map(
        (v) => `${v.id} (${v.impact}): ${v.help} [${v.helpUrl}] at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
      );
      t.strictSame(found, [], `${state} (lang=${await page.getAttribute('html', 'lang')}): no WCAG 2.1 A/AA violation`);
      if (process.env.A11Y_DIAG) {
        const all = await new AxeBuilder({ page }).analyze();
        for (const v of [...all.violations, ...all.incomplete.map((i) => ({ ...i, id: `incomplete:${i.id}` }))])
          t.comment(`DIAG ${state}: ${v.id} ${v.tags.join(',')} ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
      }
    };
    const language = async (lang: 'nl' | 'en') => {
      if ((await page.getAttribute('html', 'lang')) === lang) return;
      const n = Number(await page.evaluate(() => document.body.dataset.renders));
      await page.click('#language');
      await rendered(page, n);
      t.equal(await page.getAttribute('html', 'lang'), lang, `the page says it is in ${lang}`);
    };
    const signIn = async (token: string) => {
      const n = Number(await page.evaluate(() => document.body.dataset.renders));
      await page.fill('#token', token);
      await page.click('#signin button[type=submit]');
      return rendered(page, n);
    };
    /** At 320 CSS px (1280 px at 400 % zoom, WCAG 1.4.10): the page reflows without scrolling sideways, and `check` holds. */
    const narrow = async (check: () => Promise<void>) => {
      // The new width is in effect and the page has had its resize event (dispatched before the next frame's callbacks).
      const width = async (w: number) => {
        await page.waitForFunction((w) => document.documentElement.clientWidth === w, w);
        await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      };
      await page.setViewportSize({ width: 320, height: 640 });
      try {
        await width(320);
        const { scrollWidth, clientWidth } = await page.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
        }));
        t.ok(scrollWidth <= clientWidth, `320 px wide: no horizontal scrolling of the page (${scrollWidth} ≤ ${clientWidth})`);
        await check();
      } finally {
        await page.setViewportSize({ width: 1280, height: 900 });
        await width(1280);
      }
    };
    /** Applies the filters while the requests matching `url` fail (503, problem+json): the page shows the error. */
    const applyFailing = async (url: string) => {
      await page.route(url, (route) => route.fulfill(unavailable));
      const n = Number(await page.evaluate(() => document.body.dataset.renders));
      await page.click('#filters button[type=submit]');
      await rendered(page, n);
      await page.unroute(url);
      t.match(await message(), /database is not reachable/, 'a failing request: its detail is shown');
    };
    const figures = () => page.locator('[data-figure]').count();
    const message = () => page.textContent('#message-text');

    t.test('the check is live: axe reports a violation planted in the page', async (t) => {
      await page.goto(`${address}/dashboard`);
      await rendered(page, 0);
      await page.evaluate(() => {
        document.querySelector('label[for=token]').remove();
        document.documentElement.removeAttribute('lang');
      });
      const { violations } = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
      t.strictSame(violations.map((v) => v.id).sort(), ['html-has-lang', 'label'], 'a field without a label, a page without a language');
    });

    for (const lang of ['nl', 'en'] as const) {
      t.test(`the analyst variant in ${lang}`, async (t) => {
        await page.goto(`${address}/dashboard`);
        await page.evaluate(() => document.defaultView.sessionStorage.clear());
        await page.reload();
        await rendered(page, 0);
        await language(lang);
        t.match(await message(), lang === 'nl' ? /Meld u aan/ : /Sign in/, 'not signed in: the page asks for a token');
        await axe('analyst, not signed in');

        await signIn('not-a-token');
        // A refused token is no sign-in (a review found "Aangemeld" beside the error): the field says why, and has the focus.
        t.match(
          await page.textContent('#signin-status'),
          lang === 'nl' ? /^Niet aangemeld: dit token is niet aanvaard/ : /^Not signed in: this token was not accepted/,
          'a bad token: the status says it was not accepted',
        );
        t.equal(await page.getAttribute('#token', 'aria-invalid'), 'true', 'the field is marked invalid');
        t.equal(await page.getAttribute('#token', 'aria-describedby'), 'signin-status', 'and described by the status');
        t.ok(await page.evaluate(() => document.activeElement?.id === 'token'), 'and has the focus');
        t.equal(
          await page.evaluate(() => document.defaultView?.sessionStorage.getItem('registry-dashboard-token')),
          null,
          'the token is not kept',
        );
        t.match(await message(), lang === 'nl' ? /Meld u aan/ : /Sign in/, 'the page asks for a token again');
        t.equal(await figures(), 0, 'no figures');
        await axe('analyst, a bad token');

        await signIn(analyst.token);
        t.equal(await figures(), 6, 'signed in: four figures, the averages and the amounts');
        t.match(
          await page.evaluate(() => document.querySelector('#result-status[role=status]')?.textContent ?? null),
          lang === 'nl' ? /Cijfers getoond/ : /Figures shown/,
          'a status message says which figures are shown',
        );
        await axe('analyst, signed in, figures shown');
        await narrow(() => axe('analyst, signed in, figures shown, 320 px wide'));

        t.equal(await page.getAttribute('#token', 'aria-invalid'), null, 'signed in: the field is no longer marked invalid');
        // A request failing after sign-in (the service unavailable): the error replaces the figures.
        await applyFailing('**/v1/statistics/enforcement-actions**');
        t.equal(await page.locator('#message-text [lang=en]').count(), 1, 'the API’s own (English) detail is marked as English');
        await axe('analyst, signed in, a failing request');
      });

      t.test(`the open-data variant in ${lang}`, async (t) => {
        await page.goto(`${address}/dashboard/open`);
        await rendered(page, 0);
        await language(lang);
        t.equal(await figures(), 4, 'four figures');
        await axe('open data, figures shown');
        await narrow(() => axe('open data, figures shown, 320 px wide'));

        await applyFailing('**/v1/open-data/**');
        await axe('open data, a failing request');

        // The metadata cannot be read: the page stops before the filters have options.
        await page.route('**/v1/statistics/metadata', (route) => route.fulfill(unavailable));
        await page.reload();
        await page.waitForFunction(() => document.body.dataset.state === 'ready');
        await page.unroute('**/v1/statistics/metadata');
        t.match(await message(), /database is not reachable/, 'no metadata: its error is shown');
        await axe('open data, no metadata');
      });
    }

    t.test('the charts: bars and swatches 3:1 against what they stand on (WCAG 1.4.11), their text 4.5:1 (1.4.3)', async (t) => {
      // axe leaves graphics alone and SVG text mostly too: the colours the browser computed, measured here.
      await page.goto(`${address}/dashboard/open`);
      await rendered(page, 0);
      const drawn = await page.evaluate(() => {
        /** The colour an element stands on: the first ancestor with a background that is not transparent. */
        const ground = (e: Element) => {
          for (let a = e.parentElement; a; a = a.parentElement) {
            const c = getComputedStyle(a).backgroundColor;
            if (!/^rgba\(.*, 0\)$|^transparent$/.test(c)) return c;
          }
          return 'rgb(255, 255, 255)';
        };
        const chartOf = (e: Element) => e.closest('[data-figure]').dataset.figure;
        return {
          shapes: [...document.querySelectorAll('.dashboard-chart rect')]
            .filter((r: Element) => r.getBBox().width > 0)
            .map((r: Element) => ({ figure: chartOf(r), fill: getComputedStyle(r).fill, ground: ground(r.closest('svg')) })),
          texts: [...document.querySelectorAll('.dashboard-chart svg text')].map((e: Element) => ({
            figure: chartOf(e),
            fill: getComputedStyle(e).fill,
            ground: ground(e.closest('svg')),
          })),
        };
      });
      t.ok(drawn.shapes.length >= 8 && drawn.texts.length >= 8, `bars and labels drawn (${drawn.shapes.length}, ${drawn.texts.length})`);
      const below = (items: { figure: string; fill: string; ground: string }[], least: number) =>
        items
          .filter((i) => contrast(i.fill, i.ground) < least)
          .map((i) => `${i.figure}: ${i.fill} on ${i.ground} ${contrast(i.fill, i.ground).toFixed(2)}:1`);
      t.same(below(drawn.shapes, 3), [], 'every bar and legend swatch at least 3:1');
      t.same(below(drawn.texts, 4.5), [], 'every category label and value at least 4.5:1');
    });

    t.test('the keyboard alone: every control in order, focus visible, sign in and load the figures', async (t) => {
      await page.goto(`${address}/dashboard`);
      await page.evaluate(() => document.defaultView.sessionStorage.clear());
      await page.reload();
      let n = await rendered(page, 0);

      /** A readable name for the focused element (or any element): its id, else its role in the page. */
      const focused = () =>
        page.evaluate(() => {
          const e = document.activeElement;
          if (!e || e === document.body) return 'body';
          if (e.id) return `#${e.id}`;
          if (e.dataset.csv) return `csv:${e.dataset.csv}`;
          if (e.classList.contains('utrecht-skip-link')) return 'skip-link';
          return `${e.tagName.toLowerCase()}[type=${e.type}]@${e.closest('form')?.id ?? ''}`;
        });
      /** Whether the focused element is drawn with a focus indicator it does not have unfocused, and is in view. */
      const focusVisible = () =>
        page.evaluate(() => {
          const e = document.activeElement;
          const look = () => {
            const s = getComputedStyle(e);
            return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor, s.backgroundColor, s.textDecorationLine]
              .map(String)
              .join(' ');
          };
          const s = getComputedStyle(e);
          const ring = (s.outlineStyle !== 'none' && Number.parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
          const withFocus = look();
          const r = e.getBoundingClientRect();
          const inView = r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight;
          e.blur();
          const without = look();
          e.focus({ focusVisible: true });
          return { ring, differs: withFocus !== without, inView };
        });
      /** Leaves the page's last control with Tab, so that the next Tab starts from the top (focus wraps). */
      const toTheTop = async () => {
        for (let i = 0; i < 80 && (await focused()) !== 'body'; i++) await page.keyboard.press('Tab');
        t.equal(await focused(), 'body', 'Tab leaves the page after its last control');
      };
      /** Presses Tab until `target` has the focus (at most 80 times); asserts it got there. */
      const tabTo = async (target: string) => {
        for (let i = 0; i < 80 && (await focused()) !== target; i++) await page.keyboard.press('Tab');
        t.equal(await focused(), target, `Tab reaches ${target}`);
      };
      /** Tabs through the whole page once, from the top, asserting a visible focus on each stop; returns the stops. */
      const walk = async () => {
        await page.keyboard.press('Tab');
        await toTheTop();
        const stops: string[] = [];
        for (let i = 0; i < 80; i++) {
          await page.keyboard.press('Tab');
          const at = await focused();
          if (at === 'body' || stops.includes(at)) break;
          stops.push(at);
          const v = await focusVisible();
          t.ok(v.ring && v.differs && v.inView, `${at}: focus is visible (${JSON.stringify(v)})`);
        }
        return stops;
      };

      const before = await walk();
      t.strictSame(
        before.slice(0, 10),
        [
          'skip-link',
          '#language',
          '#other-variant',
          '#token',
          'button[type=submit]@signin',
          '#signout',
          '#yearFrom',
          '#yearTo',
          '#programme',
          '#municipality',
        ],
        'Tab reaches the controls in reading order: skip link, language, variant, sign-in, filters',
      );
      t.match(before.slice(10, -1), Array(before.length - 11).fill(/^#stage-/), 'then the stages counted');
      t.equal(before.at(-1), 'button[type=submit]@filters', 'and last the apply button');
      const tabbable = await page.$$eval(
        'a[href], button, input, select, textarea, [tabindex]',
        (all: Element[]) => all.filter((e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0).length,
      );
      t.equal(before.length, tabbable, 'every control on the page is reached with Tab');
      t.equal(await page.locator('[tabindex]:not([tabindex="0"]):not([tabindex="-1"])').count(), 0, 'no positive tabindex');

      // The skip link leads past the header: Enter on it, and the next Tab is the first control in main.
      await toTheTop();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      t.equal(await focused(), '#other-variant', 'the skip link moves on to the main content');

      // Sign in with the keyboard: Tab to the token field, type, Enter.
      await tabTo('#token');
      await page.keyboard.type(analyst.token);
      await page.keyboard.press('Enter');
      n = await rendered(page, n);
      t.equal(await page.locator('[data-figure]').count(), 6, 'Enter in the token field signs in and loads the figures');

      // Change a filter and apply it with the keyboard: the municipality list, then Tab on to the apply button and Space.
      await tabTo('#municipality');
      await page.keyboard.press('ArrowDown');
      const chosen = await page.inputValue('#municipality');
      t.not(chosen, '', 'the arrow key chose a municipality');
      await tabTo('button[type=submit]@filters');
      await page.keyboard.press('Space');
      n = await rendered(page, n);
      t.equal(
        await page.locator('[data-figure="municipality-year"] tbody tr').count(),
        1,
        'Space on apply loads that municipality’s figures',
      );
      t.equal(await focused(), 'button[type=submit]@filters', 'focus stays on the apply button after the figures load');

      // With figures shown, the walk goes on to each figure's CSV button after the filters.
      const after = await walk();
      t.strictSame(after.slice(0, before.length), before, 'the same order before the figures');
      t.strictSame(
        after.slice(before.length),
        ['csv:year-licence', 'csv:municipality-year', 'csv:measure', 'csv:ground'],
        'then each figure’s download, in the order shown',
      );

      // The language toggle with the keyboard.
      await tabTo('#language');
      await page.keyboard.press('Enter');
      n = await rendered(page, n);
      t.equal(await page.getAttribute('html', 'lang'), 'en', 'Enter on the language button switches to English');
      t.equal(await focused(), '#language', 'and focus stays on it');
    });

    t.test('no page errors', async (t) => {
      t.same(
        problems.filter((p) => !/Failed to load resource/.test(p)),
        [],
        'no console errors or warnings besides the failed requests the test causes',
      );
    });
  },
);
