// The dashboard's one module: hand-written, no build step, no dependencies. It reads the registry's
// own endpoints (metadata, statistics or open data), draws each figure as an SVG bar chart with a
// table of the same numbers beside it, and offers the API's CSV of what is shown.
// Every text node is set with textContent: nothing from an answer is parsed as HTML.

const SVG = 'http://www.w3.org/2000/svg';
const TOKEN_KEY = 'registry-dashboard-token';
const LANG_KEY = 'registry-dashboard-lang';
// Bar colours: each has a contrast of at least 4.5:1 against white (WCAG 1.4.11 asks 3:1).
const COLOURS = ['#01689b', '#a90061', '#275937', '#8f4a00', '#42145f', '#ca005d', '#39870c', '#154273'];

const TEXT = {
  nl: {
    pageTitle: 'Handhaving seksinrichtingen: cijfers',
    skip: 'Naar de cijfers',
    titleAnalyst: 'Bestuurlijke handhaving seksinrichtingen',
    titleOpen: 'Bestuurlijke handhaving seksinrichtingen: open data',
    introAnalyst:
      'Exacte cijfers voor analisten van het ministerie en het WODC, uit de registratie van bestuurlijke handhavingsmaatregelen. Meld u aan met uw token.',
    introOpen:
      'Open data: kleine aantallen zijn onderdrukt (x) en gemeenten zonder geregistreerde inrichtingen hebben niet gerapporteerd (.). Geen token nodig.',
    toOpen: 'Naar de open data (zonder token)',
    toAnalyst: 'Naar de exacte cijfers (met token)',
    signIn: 'Aanmelden',
    token: 'Token',
    signInButton: 'Aanmelden',
    signOut: 'Afmelden',
    signedIn: 'Aangemeld. Het token blijft alleen in dit tabblad bewaard.',
    signedOut: 'Niet aangemeld.',
    tokenRefused:
      'Niet aangemeld: dit token is niet aanvaard (onbekend, ingetrokken of verlopen, of niet van een analist of beheerder). Vul een ander token in.',
    filters: 'Selectie',
    yearFrom: 'Van jaar',
    yearTo: 'Tot en met jaar',
    programme: 'Programma',
    municipality: 'Gemeente',
    all: 'alle',
    allProgrammes: 'alle gemeenten',
    stageRule: 'Telregel: fasen die meetellen',
    apply: 'Toepassen',
    countingRule: 'Telregel',
    ruleFromApi: 'Zoals de API de toegepaste regel meldt:',
    summary: 'Gemiddeld per gemeente per jaar',
    openNote:
      'Open data hebben een vaste telregel (standaardfasen, alle geregistreerde gemeenten in de jaren dat zij bestaan): programma en fasen zijn hier niet te kiezen. Jaar en gemeente kiezen rijen uit de gepubliceerde tabellen.',
    figYearLicence: 'Maatregelen per jaar, vergund en onvergund',
    figMunicipalityYear: 'Maatregelen per gemeente per jaar',
    figMeasure: 'Maatregelen per soort maatregel',
    figGround: 'Maatregelen per grond',
    groundNote: 'Een maatregel met twee gronden telt bij elk één keer.',
    groundOpen: 'Gronden staan niet in de open data.',
    year: 'Jaar',
    licenceStatus: 'Vergunningstatus',
    measure: 'Maatregel',
    ground: 'Grond',
    actions: 'aantal',
    total: 'Totaal',
    download: 'Download CSV',
    downloadOpen: 'Download CSV (de hele gepubliceerde tabel)',
    chartLabel: 'Staafdiagram: {title}. Dezelfde cijfers staan in de tabel.',
    suppressed: 'onderdrukt',
    notReported: 'niet gerapporteerd',
    notApplicable: 'bestond niet in dat jaar',
    needToken: 'Meld u aan met een token om de cijfers te zien.',
    error: 'De cijfers konden niet worden opgehaald: {detail}',
    licencedActions: 'Maatregelen',
    municipalities: 'Gemeenten',
    years: 'Jaren',
    average: 'Gemiddeld per gemeente per jaar',
    divides: 'Deelt door {n} gemeenten × {y} jaar = {d} gemeente-jaren, ook gemeenten zonder maatregelen: {codes}.',
    dividesLess:
      'Deelt door {n} gemeenten × {y} jaar, minus de jaren dat een gemeente niet bestond, = {d} gemeente-jaren, ook gemeenten zonder maatregelen: {codes}.',
    amounts: 'Bedragen (euro)',
    fines: 'Opgelegde boetes',
    penaltyMax: 'Maximale dwangsommen',
    penaltyForfeited: 'Verbeurde dwangsommen',
    resultShown: 'Cijfers getoond voor {from} tot en met {to}.',
    language: 'English',
  },
  en: {
    pageTitle: 'Enforcement against sex establishments: figures',
    skip: 'Skip to the figures',
    titleAnalyst: 'Administrative enforcement against sex establishments',
    titleOpen: 'Administrative enforcement against sex establishments: open data',
    introAnalyst:
      'Exact figures for the ministry’s and WODC’s analysts, from the register of administrative enforcement actions. Sign in with your token.',
    introOpen:
      'Open data: small counts are suppressed (x), and municipalities without registered establishments have not reported (.). No token needed.',
    toOpen: 'To the open data (no token)',
    toAnalyst: 'To the exact figures (token)',
    signIn: 'Sign in',
    token: 'Token',
    signInButton: 'Sign in',
    signOut: 'Sign out',
    signedIn: 'Signed in. The token is kept in this tab only.',
    signedOut: 'Not signed in.',
    tokenRefused:
      'Not signed in: this token was not accepted (unknown, revoked or expired, or not an analyst’s or admin’s). Enter another token.',
    filters: 'Selection',
    yearFrom: 'From year',
    yearTo: 'To year (inclusive)',
    programme: 'Programme',
    municipality: 'Municipality',
    all: 'all',
    allProgrammes: 'all municipalities',
    stageRule: 'Counting rule: stages counted',
    apply: 'Apply',
    countingRule: 'Counting rule',
    ruleFromApi: 'The rule applied, as the API states it:',
    summary: 'Average per municipality per year',
    openNote:
      'Open data have a fixed counting rule (default stages, every registered municipality in the years it exists): programme and stages cannot be chosen here. Year and municipality pick rows of the published tables.',
    figYearLicence: 'Actions per year, licensed and unlicensed',
    figMunicipalityYear: 'Actions per municipality per year',
    figMeasure: 'Actions per measure',
    figGround: 'Actions per ground',
    groundNote: 'An action with two grounds counts once under each.',
    groundOpen: 'Grounds are not in the open data.',
    year: 'Year',
    licenceStatus: 'Licence status',
    measure: 'Measure',
    ground: 'Ground',
    actions: 'count',
    total: 'Total',
    download: 'Download CSV',
    downloadOpen: 'Download CSV (the whole published table)',
    chartLabel: 'Bar chart: {title}. The table has the same numbers.',
    suppressed: 'suppressed',
    notReported: 'not reported',
    notApplicable: 'did not exist that year',
    needToken: 'Sign in with a token to see the figures.',
    error: 'The figures could not be fetched: {detail}',
    licencedActions: 'Actions',
    municipalities: 'Municipalities',
    years: 'Years',
    average: 'Average per municipality per year',
    divides: 'Divides by {n} municipalities × {y} years = {d} municipality-years, municipalities without actions included: {codes}.',
    dividesLess:
      'Divides by {n} municipalities × {y} years, less the years in which one did not exist, = {d} municipality-years, municipalities without actions included: {codes}.',
    amounts: 'Amounts (euro)',
    fines: 'Fines imposed',
    penaltyMax: 'Maximum of penalty orders',
    penaltyForfeited: 'Penalties forfeited',
    resultShown: 'Figures shown for {from} to {to}.',
    language: 'Nederlands',
  },
};

const mode = document.body.dataset.mode === 'open' ? 'open' : 'analyst';
const state = {
  lang: sessionStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'nl',
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  metadata: null,
  figures: [],
  rule: null,
  summary: null,
  notice: null,
  shown: null,
};

const $ = (id) => document.getElementById(id);
const t = (key, vars = {}) => (TEXT[state.lang][key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  for (const c of children) node.append(c);
  return node;
};
const svg = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
};
const number = (v) => new Intl.NumberFormat(state.lang === 'nl' ? 'nl-NL' : 'en-GB').format(v);
const euros = (cents) =>
  new Intl.NumberFormat(state.lang === 'nl' ? 'nl-NL' : 'en-GB', { style: 'currency', currency: 'EUR' }).format(cents / 100);

/** The title of a code in the current language, from the metadata. */
function title(dimension, value) {
  const d = state.metadata?.dimensions.find((x) => x.groupBy === dimension);
  const c = d?.codes.find((x) => x.value === value);
  return c ? c.title[state.lang] : String(value);
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
  }
}

async function api(path, accept = 'application/json') {
  const headers = { accept };
  if (mode === 'analyst' && state.token) headers.authorization = `Bearer ${state.token}`;
  const res = await fetch(path, { headers });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  return accept === 'text/csv' ? res.text() : res.json();
}

// ---- filters

function filters() {
  const stages = [...document.querySelectorAll('#stages input:checked')].map((i) => i.value);
  return {
    yearFrom: Number($('yearFrom').value),
    yearTo: Number($('yearTo').value),
    programme: $('programme').value,
    municipality: $('municipality').value,
    stages,
  };
}

function statisticsUrl(path, groupBy, f) {
  const q = new URLSearchParams();
  q.set('yearFrom', String(f.yearFrom));
  q.set('yearTo', String(f.yearTo));
  if (f.programme) q.set('programme', f.programme);
  if (f.municipality) q.set('municipalityCode', f.municipality);
  if (f.stages.length) q.set('stage', f.stages.join(','));
  if (groupBy) q.set('groupBy', groupBy);
  return `${path}?${q}`;
}

function fillFilters() {
  const m = state.metadata;
  const years = m.dimensions.find((d) => d.groupBy === 'year').codes.filter((c) => c.value !== null);
  for (const [id, pick] of [
    ['yearFrom', years[0]],
    ['yearTo', years.at(-1)],
  ]) {
    const select = $(id);
    select.replaceChildren(...years.map((y) => el('option', { value: y.value }, String(y.value))));
    select.value = String(pick?.value ?? '');
  }
  const programme = $('programme');
  programme.replaceChildren(el('option', { value: '', 'data-i18n': 'allProgrammes' }, t('allProgrammes')));
  for (const p of m.programmes) programme.append(el('option', { value: p.identifier, 'data-programme': p.identifier }));
  const municipality = $('municipality');
  municipality.replaceChildren(el('option', { value: '', 'data-i18n': 'all' }, t('all')));
  for (const c of m.dimensions.find((d) => d.groupBy === 'municipality').codes) {
    if (c.value !== null) municipality.append(el('option', { value: c.value }, `${c.title.nl} (${c.identifier})`));
  }
  const stages = $('stages');
  for (const c of m.dimensions.find((d) => d.groupBy === 'stage').codes) {
    if (c.value === null) continue;
    const id = `stage-${c.value}`;
    const box = el('input', { type: 'checkbox', class: 'utrecht-checkbox utrecht-checkbox--html-input', id, value: c.value });
    box.checked = m.countingRule.countedStages.includes(c.value);
    stages.append(
      el('span', { class: 'dashboard-stage' }, box, el('label', { class: 'utrecht-form-label', for: id, 'data-stage': c.value })),
    );
  }
  if (mode === 'open') {
    programme.disabled = true;
    for (const i of stages.querySelectorAll('input')) i.disabled = true;
  }
}

// ---- figures

/**
 * A figure: categories (rows) × series (columns), each cell a value or a reason why there is none.
 * `cell(category, series)` gives { value, attribute } with attribute None, Confidential, NotReported or
 * NotApplicable (a municipality in a year it did not exist: formed later, or merged away before).
 */
function renderFigure(fig) {
  const captionId = `${fig.id}-caption`;
  const figure = el('figure', { class: 'utrecht-figure dashboard-figure', 'data-figure': fig.id, 'aria-labelledby': captionId });
  figure.append(el('h2', { class: 'utrecht-heading-2', id: captionId }, fig.title));
  if (fig.note) figure.append(el('p', { class: 'utrecht-paragraph' }, fig.note));
  if (!fig.categories.length) {
    figure.append(el('p', { class: 'utrecht-paragraph' }, fig.empty ?? ''));
    return figure;
  }
  const body = el('div', { class: 'dashboard-figure-body' });
  body.append(el('div', { class: 'dashboard-chart' }, chart(fig), legend(fig)), el('div', { class: 'dashboard-table' }, table(fig)));
  figure.append(body);
  if (fig.csv) {
    const button = el(
      'button',
      { type: 'button', class: 'utrecht-button utrecht-button--secondary-action', 'data-csv': fig.id },
      fig.csvLabel,
    );
    button.addEventListener('click', () => download(fig.csv, `${fig.id}.csv`));
    figure.append(el('div', { class: 'utrecht-button-group' }, button));
  }
  return figure;
}

function shown(cell) {
  if (cell.attribute === 'Confidential') return { text: 'x', label: t('suppressed') };
  if (cell.attribute === 'NotReported') return { text: '.', label: t('notReported') };
  if (cell.attribute === 'NotApplicable') return { text: '–', label: t('notApplicable') };
  return { text: number(cell.value), label: null };
}

function table(fig) {
  const head = el(
    'tr',
    { class: 'utrecht-table__row' },
    el('th', { class: 'utrecht-table__header-cell', scope: 'col' }, fig.categoryLabel),
    ...fig.series.map((s) => el('th', { class: 'utrecht-table__header-cell', scope: 'col', 'data-numeric': '' }, s.label)),
  );
  const rows = fig.categories.map((c) =>
    el(
      'tr',
      { class: 'utrecht-table__row', 'data-category': c.key },
      el('th', { class: 'utrecht-table__header-cell', scope: 'row' }, c.label),
      ...fig.series.map((s) => {
        const cell = fig.cell(c.key, s.key);
        const { text, label } = shown(cell);
        const td = el('td', { class: 'utrecht-table__cell', 'data-series': s.key, 'data-attribute': cell.attribute });
        if (cell.attribute === 'None') td.dataset.value = String(cell.value);
        td.append(label ? el('abbr', { title: label }, text) : text);
        return td;
      }),
    ),
  );
  return el(
    'table',
    { class: 'utrecht-table utrecht-table--html-table' },
    el('caption', { class: 'utrecht-table__caption' }, fig.title),
    el('thead', { class: 'utrecht-table__header' }, head),
    el('tbody', { class: 'utrecht-table__body' }, ...rows),
  );
}

/** Horizontal grouped bars: a group per category, a bar per series; values written beside the bars. */
function chart(fig) {
  const bar = 14;
  const gap = 3;
  const groupGap = 12;
  const labelWidth = 190;
  const width = 640;
  const plot = width - labelWidth - 60;
  const groupHeight = fig.series.length * (bar + gap) - gap;
  const height = fig.categories.length * (groupHeight + groupGap) + 4;
  const max = Math.max(1, ...fig.categories.flatMap((c) => fig.series.map((s) => fig.cell(c.key, s.key).value ?? 0)));
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': t('chartLabel', { title: fig.title }) });
  fig.categories.forEach((c, i) => {
    const y0 = 2 + i * (groupHeight + groupGap);
    const label = svg('text', {
      x: labelWidth - 8,
      y: y0 + groupHeight / 2,
      'text-anchor': 'end',
      'dominant-baseline': 'middle',
      'font-size': 12,
    });
    label.textContent = c.label.length > 28 ? `${c.label.slice(0, 27)}…` : c.label;
    root.append(label);
    fig.series.forEach((s, j) => {
      const cell = fig.cell(c.key, s.key);
      const y = y0 + j * (bar + gap);
      const w = cell.value ? Math.max(1, (cell.value / max) * plot) : 0;
      root.append(svg('rect', { x: labelWidth, y, width: w, height: bar, fill: COLOURS[j % COLOURS.length] }));
      const value = svg('text', { x: labelWidth + w + 4, y: y + bar / 2, 'dominant-baseline': 'middle', 'font-size': 11 });
      value.textContent = shown(cell).text;
      root.append(value);
    });
  });
  root.append(svg('line', { x1: labelWidth, x2: labelWidth, y1: 0, y2: height, stroke: '#000' }));
  return root;
}

function legend(fig) {
  if (fig.series.length < 2) return document.createTextNode('');
  return el(
    'ul',
    { class: 'dashboard-legend' },
    ...fig.series.map((s, j) => {
      const swatch = svg('svg', { width: 12, height: 12, 'aria-hidden': 'true' });
      swatch.append(svg('rect', { width: 12, height: 12, fill: COLOURS[j % COLOURS.length], stroke: '#000' }));
      return el('li', {}, swatch, ` ${s.label}`);
    }),
  );
}

async function download(url, name) {
  try {
    const body = await api(url, 'text/csv');
    const href = URL.createObjectURL(new Blob([body], { type: 'text/csv' }));
    const a = el('a', { href, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  } catch (err) {
    showError(err);
  }
}

function showError(err) {
  state.notice = err ? { key: 'error', detail: err.message } : null;
  renderNotice();
}

/**
 * The alert above the figures, in the current language (it is drawn again when the language changes).
 * An error's detail comes from the API, which writes English: it is marked lang="en" (WCAG 3.1.2).
 */
function renderNotice() {
  const notice = state.notice;
  $('message').hidden = !notice;
  if (!notice) return $('message-text').replaceChildren();
  if (notice.key !== 'error') return $('message-text').replaceChildren(t(notice.key));
  const [before, after] = t('error', { detail: '\u0000' }).split('\u0000');
  $('message-text').replaceChildren(before, el('span', { lang: 'en' }, notice.detail), after ?? '');
}

/** Announces what the figures now show (role="status": read out without moving the focus, WCAG 4.1.3). */
function renderResult() {
  const f = state.shown;
  $('result-status').textContent = f ? t('resultShown', { from: f.yearFrom, to: f.yearTo }) : '';
}

/**
 * A table wider than its column scrolls sideways inside its own box (the page itself reflows, WCAG 1.4.10).
 * Such a box is a named group in the Tab order, so the keyboard can scroll it (WCAG 2.1.1); one that fits is not.
 * A group, not a region: the page would otherwise gain a landmark per table, one named like its section.
 */
function markScrollingTables() {
  for (const [i, box] of [...document.querySelectorAll('.dashboard-table')].entries()) {
    const scrolls = box.scrollWidth > box.clientWidth;
    const caption = box.querySelector('caption');
    if (scrolls && caption) {
      caption.id ||= `dashboard-table-caption-${i}`;
      box.setAttribute('tabindex', '0');
      box.setAttribute('role', 'group');
      box.setAttribute('aria-labelledby', caption.id);
    } else {
      for (const a of ['tabindex', 'role', 'aria-labelledby']) box.removeAttribute(a);
    }
  }
}

// ---- the analyst's figures: exact, from /v1/statistics/enforcement-actions

const byKeys = (items, ...keys) => new Map(items.map((r) => [keys.map((k) => r[k]).join('|'), r]));

async function analystFigures(f) {
  const base = '/v1/statistics/enforcement-actions';
  const urls = {
    yearLicence: statisticsUrl(base, 'year,licenceStatus', f),
    municipalityYear: statisticsUrl(base, 'year,municipality', f),
    measure: statisticsUrl(base, 'licenceStatus,measure', f),
    ground: statisticsUrl(base, 'licenceStatus,ground', f),
    summary: statisticsUrl(`${base}/summary`, null, f),
  };
  const [yearLicence, municipalityYear, measure, ground, summary] = await Promise.all(
    [urls.yearLicence, urls.municipalityYear, urls.measure, urls.ground, urls.summary].map((u) => api(u)),
  );
  const rule = yearLicence.countingRule;
  const licence = ['licensed', 'unlicensed'].filter((s) => !rule.licenceStatuses || rule.licenceStatuses.includes(s));
  // A 0 nobody reported (no actions, no attestation) is shown as not reported, as the API marks it; a
  // municipality-year the answer has no row for is one in which the municipality did not exist.
  const value = (row) =>
    row
      ? { value: row.actions, attribute: row.status === 'not_reported' ? 'NotReported' : 'None' }
      : { value: null, attribute: 'NotApplicable' };
  const yl = byKeys(yearLicence.items, 'year', 'licenceStatus');
  const my = byKeys(municipalityYear.items, 'municipalityCode', 'year');
  const licenceSeries = () => licence.map((s) => ({ key: s, label: title('licenceStatus', s) }));
  const codes = (dimension, present) =>
    state.metadata.dimensions
      .find((d) => d.groupBy === dimension)
      .codes.filter((c) => c.value !== null && present.has(c.value))
      .map((c) => ({ key: c.value, label: c.title[state.lang] }));
  // A code dimension's figure: its codes in the answer, a bar per licence status.
  const byLicenceStatus = (dimension, answer, figureTitle) => {
    const cells = byKeys(answer.items, dimension, 'licenceStatus');
    return {
      id: dimension,
      title: figureTitle,
      categoryLabel: t(dimension),
      categories: codes(dimension, new Set(answer.items.map((r) => r[dimension]))),
      series: licenceSeries(),
      cell: (c, s) => value(cells.get(`${c}|${s}`)),
      csv: urls[dimension],
      csvLabel: t('download'),
    };
  };
  state.rule = rule;
  state.summary = { summary, amounts: yearLicence.items };
  return () => [
    {
      id: 'year-licence',
      title: t('figYearLicence'),
      categoryLabel: t('year'),
      categories: rule.years.map((y) => ({ key: y, label: String(y) })),
      series: licenceSeries(),
      cell: (y, s) => value(yl.get(`${y}|${s}`)),
      csv: urls.yearLicence,
      csvLabel: t('download'),
    },
    {
      id: 'municipality-year',
      title: t('figMunicipalityYear'),
      categoryLabel: t('municipality'),
      categories: codes('municipality', new Set(rule.municipalityCodes)),
      series: rule.years.map((y) => ({ key: y, label: String(y) })),
      cell: (m, y) => value(my.get(`${m}|${y}`)),
      csv: urls.municipalityYear,
      csvLabel: t('download'),
    },
    byLicenceStatus('measure', measure, t('figMeasure')),
    { ...byLicenceStatus('ground', ground, t('figGround')), note: t('groundNote') },
  ];
}

function renderSummary() {
  const target = $('summary');
  if (!target || !state.summary) return;
  const { summary, amounts } = state.summary;
  const head = (...cells) =>
    el('tr', { class: 'utrecht-table__row' }, ...cells.map((c) => el('th', { class: 'utrecht-table__header-cell', scope: 'col' }, c)));
  const line = (label, key, x) =>
    el(
      'tr',
      { class: 'utrecht-table__row', 'data-category': key },
      el('th', { class: 'utrecht-table__header-cell', scope: 'row' }, label),
      ...[x.actions, x.municipalities, x.years].map((v) => el('td', { class: 'utrecht-table__cell', 'data-value': v }, number(v))),
      el('td', { class: 'utrecht-table__cell', 'data-value': x.averagePerMunicipalityPerYear }, number(x.averagePerMunicipalityPerYear)),
    );
  const averages = el(
    'table',
    { class: 'utrecht-table utrecht-table--html-table', 'data-figure': 'summary' },
    el('caption', { class: 'utrecht-table__caption' }, t('summary')),
    el(
      'thead',
      { class: 'utrecht-table__header' },
      head(t('licenceStatus'), t('licencedActions'), t('municipalities'), t('years'), t('average')),
    ),
    el(
      'tbody',
      { class: 'utrecht-table__body' },
      ...summary.items.map((i) => line(title('licenceStatus', i.licenceStatus), i.licenceStatus, i)),
      line(t('total'), 'total', summary.total),
    ),
  );
  const sums = { licensed: [0, 0, 0], unlicensed: [0, 0, 0] };
  for (const r of amounts) {
    const s = sums[r.licenceStatus];
    s[0] += r.fineAmountCents;
    s[1] += r.penaltyMaximumCents;
    s[2] += r.penaltyForfeitedCents;
  }
  const money = el(
    'table',
    { class: 'utrecht-table utrecht-table--html-table', 'data-figure': 'amounts' },
    el('caption', { class: 'utrecht-table__caption' }, t('amounts')),
    el('thead', { class: 'utrecht-table__header' }, head(t('licenceStatus'), t('fines'), t('penaltyMax'), t('penaltyForfeited'))),
    el(
      'tbody',
      { class: 'utrecht-table__body' },
      ...summary.items.map((i) =>
        el(
          'tr',
          { class: 'utrecht-table__row', 'data-category': i.licenceStatus },
          el('th', { class: 'utrecht-table__header-cell', scope: 'row' }, title('licenceStatus', i.licenceStatus)),
          ...sums[i.licenceStatus].map((c) => el('td', { class: 'utrecht-table__cell', 'data-cents': c }, euros(c))),
        ),
      ),
    ),
  );
  const rule = summary.countingRule;
  const divides = el(
    'p',
    { class: 'utrecht-paragraph' },
    t(summary.total.municipalityYears === summary.total.municipalities * summary.total.years ? 'divides' : 'dividesLess', {
      n: summary.total.municipalities,
      y: summary.total.years,
      d: summary.total.municipalityYears,
      codes: rule.municipalityCodes.join(', '),
    }),
  );
  target.replaceChildren(el('div', { class: 'dashboard-table' }, averages), divides, el('div', { class: 'dashboard-table' }, money));
}

// ---- the open data's figures: published tables, rows picked here

async function openFigures(f) {
  const base = '/v1/open-data/enforcement-actions';
  const m = f.municipality;
  const urls = {
    yearLicence: `${base}?groupBy=${m ? 'year,municipality,licenceStatus' : 'year,licenceStatus'}`,
    municipalityYear: `${base}?groupBy=year,municipality`,
    measure: `${base}?groupBy=${m ? 'year,municipality,measure' : 'year,measure'}`,
  };
  const [yearLicence, municipalityYear, measure] = await Promise.all(
    [urls.yearLicence, urls.municipalityYear, urls.measure].map((u) => api(u)),
  );
  const attribute = { reported: 'None', zero: 'None', nothing_to_report: 'None', suppressed: 'Confidential', not_reported: 'NotReported' };
  // A municipality's years, from the metadata: a cell of the published grid outside them is a year it did not exist.
  const yearsOf = new Map(state.metadata.dimensions.find((d) => d.groupBy === 'municipality').codes.map((c) => [c.value, c]));
  const existed = (c) => {
    const years = c.municipalityCode === undefined ? undefined : yearsOf.get(c.municipalityCode);
    return !years || ((years.firstYear ?? c.year) <= c.year && c.year <= (years.lastYear ?? c.year));
  };
  const cellOf = (c) =>
    !c
      ? { value: null, attribute: 'NotReported' }
      : existed(c)
        ? { value: c.value, attribute: attribute[c.status] }
        : { value: null, attribute: 'NotApplicable' };
  const pick = (table) =>
    table.cells.filter(
      (c) => (!m || c.municipalityCode === undefined || c.municipalityCode === m) && c.year >= f.yearFrom && c.year <= f.yearTo,
    );
  const years = yearLicence.countingRule.years.filter((y) => y >= f.yearFrom && y <= f.yearTo);
  const yl = byKeys(pick(yearLicence), 'year', 'licenceStatus');
  const my = byKeys(pick(municipalityYear), 'municipalityCode', 'year');
  const ms = byKeys(pick(measure), 'measure', 'year');
  state.rule = yearLicence.countingRule;
  const yearSeries = () => years.map((y) => ({ key: y, label: String(y) }));
  const codes = (dimension, keep) =>
    state.metadata.dimensions
      .find((d) => d.groupBy === dimension)
      .codes.filter((c) => c.value !== null && keep(c.value))
      .map((c) => ({ key: c.value, label: c.title[state.lang] }));
  return () => [
    {
      id: 'year-licence',
      title: t('figYearLicence'),
      categoryLabel: t('year'),
      categories: years.map((y) => ({ key: y, label: String(y) })),
      series: ['licensed', 'unlicensed'].map((s) => ({ key: s, label: title('licenceStatus', s) })),
      cell: (y, s) => cellOf(yl.get(`${y}|${s}`)),
      csv: urls.yearLicence,
      csvLabel: t('downloadOpen'),
    },
    {
      id: 'municipality-year',
      title: t('figMunicipalityYear'),
      categoryLabel: t('municipality'),
      categories: codes('municipality', (c) => yearLicence.countingRule.municipalityCodes.includes(c) && (!m || c === m)),
      series: yearSeries(),
      cell: (mu, y) => cellOf(my.get(`${mu}|${y}`)),
      csv: urls.municipalityYear,
      csvLabel: t('downloadOpen'),
    },
    {
      id: 'measure',
      title: t('figMeasure'),
      categoryLabel: t('measure'),
      categories: codes('measure', () => true),
      series: yearSeries(),
      cell: (me, y) => cellOf(ms.get(`${me}|${y}`)),
      csv: urls.measure,
      csvLabel: t('downloadOpen'),
    },
    { id: 'ground', title: t('figGround'), categories: [], series: [], empty: t('groundOpen') },
  ];
}

// ---- putting it together

let build = null;

function renderTexts() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-stage]')) node.textContent = title('stage', node.dataset.stage);
  for (const node of document.querySelectorAll('[data-programme]')) {
    const p = state.metadata?.programmes.find((x) => x.identifier === node.dataset.programme);
    node.textContent = p ? `${p.identifier}: ${p.title[state.lang]}` : node.dataset.programme;
  }
  const language = $('language');
  language.textContent = t('language');
  language.lang = state.lang === 'nl' ? 'en' : 'nl';
  if ($('signin-status')) {
    $('signin-status').textContent = state.tokenRefused ? t('tokenRefused') : state.token ? t('signedIn') : t('signedOut');
  }
  $('filters-note').textContent = mode === 'open' ? t('openNote') : '';
  if (state.metadata) $('rule-summary').textContent = state.metadata.countingRule.description[state.lang];
  // The API states its rule in English: only that part is marked lang="en" (WCAG 3.1.2).
  $('rule-api').replaceChildren(...(state.rule ? [`${t('ruleFromApi')} `, el('span', { lang: 'en' }, state.rule.description)] : []));
  renderNotice();
  renderResult();
}

function render() {
  renderTexts();
  $('figures').replaceChildren(...(build ? build().map(renderFigure) : []));
  renderSummary();
  markScrollingTables();
  document.body.dataset.renders = String(Number(document.body.dataset.renders) + 1);
}

async function refresh() {
  document.body.dataset.state = 'loading';
  $('figures').setAttribute('aria-busy', 'true');
  showError(null);
  try {
    if (mode === 'analyst' && !state.token) {
      build = null;
      state.rule = null;
      state.summary = null;
      state.notice = { key: 'needToken' };
    } else {
      const f = filters();
      build = await (mode === 'open' ? openFigures(f) : analystFigures(f));
      state.shown = { yearFrom: f.yearFrom, yearTo: f.yearTo };
    }
  } catch (err) {
    build = null;
    state.summary = null;
    if (mode === 'analyst' && state.token && (err.status === 401 || err.status === 403)) refuseToken();
    else showError(err);
  }
  if (!build) state.shown = null;
  render();
  $('figures').removeAttribute('aria-busy');
  document.body.dataset.state = 'ready';
}

/**
 * A token the API refused (401, 403) is no sign-in: it is forgotten, the field is marked invalid and
 * has the focus again, and the status beside it says why (WCAG 3.3.1, 4.1.3).
 */
function refuseToken() {
  state.token = '';
  state.tokenRefused = true;
  sessionStorage.removeItem(TOKEN_KEY);
  state.notice = { key: 'needToken' };
  $('token').setAttribute('aria-invalid', 'true');
  $('token').setAttribute('aria-describedby', 'signin-status');
  $('token').focus();
}

/** A new attempt: no longer marked refused until the API says so. */
function clearRefusal() {
  state.tokenRefused = false;
  $('token').removeAttribute('aria-invalid');
  $('token').removeAttribute('aria-describedby');
}

async function start() {
  addEventListener('resize', markScrollingTables);
  $('language').addEventListener('click', () => {
    state.lang = state.lang === 'nl' ? 'en' : 'nl';
    sessionStorage.setItem(LANG_KEY, state.lang);
    render();
  });
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    refresh();
  });
  $('signin')?.addEventListener('submit', (e) => {
    e.preventDefault();
    clearRefusal();
    state.token = $('token').value.trim();
    $('token').value = '';
    if (state.token) sessionStorage.setItem(TOKEN_KEY, state.token);
    refresh();
  });
  $('signout')?.addEventListener('click', () => {
    clearRefusal();
    state.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    refresh();
  });
  try {
    state.metadata = await api('/v1/statistics/metadata');
    fillFilters();
  } catch (err) {
    showError(err);
    renderTexts();
    document.body.dataset.state = 'ready';
    return;
  }
  await refresh();
}

start();
