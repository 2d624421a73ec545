/**
 * The dashboard's HTML page and its few layout rules. The look comes from the NL Design System
 * (Utrecht component CSS, the Voorbeeld theme's tokens); the texts start in Dutch and dashboard.js
 * switches them to English. Every text the module changes has a data-i18n key.
 */
export type DashboardMode = 'analyst' | 'open';

export function dashboardPage(mode: DashboardMode): string {
  const analyst = mode === 'analyst';
  return `<!doctype html>
<html lang="nl" class="utrecht-document voorbeeld-theme">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-i18n="pageTitle">Handhaving seksinrichtingen: cijfers</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/theme.css">
<link rel="stylesheet" href="/dashboard/assets/components.css">
<link rel="stylesheet" href="/dashboard/dashboard.css">
<script type="module" src="/dashboard/dashboard.js"></script>
</head>
<body class="utrecht-page-body" data-mode="${mode}" data-state="loading" data-renders="0">
<a class="utrecht-skip-link utrecht-skip-link--visible-on-focus" href="#main" data-i18n="skip">Naar de cijfers</a>
<div class="utrecht-page">
<header class="utrecht-page-header dashboard-header">
  <h1 class="utrecht-heading-1" data-i18n="${analyst ? 'titleAnalyst' : 'titleOpen'}">${analyst ? 'Bestuurlijke handhaving seksinrichtingen' : 'Bestuurlijke handhaving seksinrichtingen: open data'}</h1>
  <button type="button" class="utrecht-button utrecht-button--secondary-action" id="language" lang="en">English</button>
</header>
<main class="utrecht-page-content" id="main">
<p class="utrecht-paragraph" data-i18n="${analyst ? 'introAnalyst' : 'introOpen'}">${
    analyst
      ? 'Exacte cijfers voor analisten van het ministerie en het WODC, uit de registratie van bestuurlijke handhavingsmaatregelen. Meld u aan met uw token.'
      : 'Open data: kleine aantallen zijn onderdrukt (x) en gemeenten zonder geregistreerde inrichtingen hebben niet gerapporteerd (.). Geen token nodig.'
  }</p>
<noscript><p class="utrecht-paragraph">Deze pagina heeft JavaScript nodig om de cijfers te tonen. Zonder JavaScript: de open data als CSV op <a class="utrecht-link" href="/v1/open-data/enforcement-actions/csv">/v1/open-data/enforcement-actions/csv</a>.</p></noscript>
<p class="utrecht-paragraph"><a class="utrecht-link" id="other-variant" href="${analyst ? '/dashboard/open' : '/dashboard'}" data-i18n="${analyst ? 'toOpen' : 'toAnalyst'}">${
    analyst ? 'Naar de open data (zonder token)' : 'Naar de exacte cijfers (met token)'
  }</a></p>
${
  analyst
    ? `<section aria-labelledby="signin-title" class="dashboard-section">
  <h2 class="utrecht-heading-2" id="signin-title" data-i18n="signIn">Aanmelden</h2>
  <form id="signin" class="dashboard-form">
    <div class="utrecht-form-field">
      <label class="utrecht-form-label" for="token" data-i18n="token">Token</label>
      <input class="utrecht-textbox utrecht-textbox--html-input" id="token" type="password" autocomplete="off" spellcheck="false">
    </div>
    <div class="utrecht-button-group">
      <button type="submit" class="utrecht-button utrecht-button--primary-action" data-i18n="signInButton">Aanmelden</button>
      <button type="button" class="utrecht-button utrecht-button--secondary-action" id="signout" data-i18n="signOut">Afmelden</button>
    </div>
    <p class="utrecht-paragraph" id="signin-status" role="status"></p>
  </form>
</section>`
    : ''
}
<section aria-labelledby="filters-title" class="dashboard-section">
  <h2 class="utrecht-heading-2" id="filters-title" data-i18n="filters">Selectie</h2>
  <form id="filters" class="dashboard-form dashboard-filters">
    <div class="utrecht-form-field">
      <label class="utrecht-form-label" for="yearFrom" data-i18n="yearFrom">Van jaar</label>
      <select class="utrecht-select utrecht-select--html-select" id="yearFrom"></select>
    </div>
    <div class="utrecht-form-field">
      <label class="utrecht-form-label" for="yearTo" data-i18n="yearTo">Tot en met jaar</label>
      <select class="utrecht-select utrecht-select--html-select" id="yearTo"></select>
    </div>
    <div class="utrecht-form-field">
      <label class="utrecht-form-label" for="programme" data-i18n="programme">Programma</label>
      <select class="utrecht-select utrecht-select--html-select" id="programme"></select>
    </div>
    <div class="utrecht-form-field">
      <label class="utrecht-form-label" for="municipality" data-i18n="municipality">Gemeente</label>
      <select class="utrecht-select utrecht-select--html-select" id="municipality"></select>
    </div>
    <fieldset class="utrecht-form-fieldset utrecht-form-fieldset--html-fieldset" id="stages">
      <legend class="utrecht-form-fieldset__legend" data-i18n="stageRule">Telregel: fasen die meetellen</legend>
    </fieldset>
    <p class="utrecht-paragraph" id="filters-note"></p>
    <div class="utrecht-button-group">
      <button type="submit" class="utrecht-button utrecht-button--primary-action" data-i18n="apply">Toepassen</button>
    </div>
  </form>
</section>
<div id="message" role="alert" class="utrecht-alert" hidden><p class="utrecht-paragraph utrecht-alert__message" id="message-text"></p></div>
<section aria-labelledby="rule-title" class="dashboard-section">
  <h2 class="utrecht-heading-2" id="rule-title" data-i18n="countingRule">Telregel</h2>
  <p class="utrecht-paragraph" id="rule-summary"></p>
  <p class="utrecht-paragraph" id="rule-api"></p>
</section>
${
  analyst
    ? `<section aria-labelledby="summary-title" class="dashboard-section">
  <h2 class="utrecht-heading-2" id="summary-title" data-i18n="summary">Gemiddeld per gemeente per jaar</h2>
  <div id="summary"></div>
</section>`
    : ''
}
<p class="utrecht-paragraph" id="result-status" role="status"></p>
<div id="figures"></div>
</main>
</div>
</body>
</html>
`;
}

/** Layout only (grid and spacing); colours, type and components come from the design system. */
export const DASHBOARD_CSS = `.utrecht-page-body { margin: 0; grid-template-columns: minmax(0, 1fr); }
.utrecht-page { box-sizing: border-box; inline-size: 100%; max-inline-size: 72rem; margin-inline: auto; padding: 1rem; }
.dashboard-header { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 1rem; }
.dashboard-header > *, .dashboard-filters > * { min-inline-size: 0; max-inline-size: 100%; }
h1, h2, caption { overflow-wrap: break-word; }
.dashboard-form input:not([type=checkbox]), .dashboard-form select { max-inline-size: 100%; }
.dashboard-section { margin-block: 1.5rem; }
.dashboard-filters { display: flex; flex-wrap: wrap; gap: 0 1.5rem; align-items: flex-end; }
.dashboard-filters .utrecht-form-fieldset { flex-basis: 100%; }
.dashboard-stage { display: inline-flex; align-items: center; gap: 0.375rem; margin-inline-end: 1.25rem; }
.dashboard-figure { margin-block: 2rem; }
.dashboard-figure-body { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(20rem, 100%), 1fr)); gap: 1.5rem; align-items: start; }
.dashboard-chart > svg { inline-size: 100%; block-size: auto; }
[hidden] { display: none !important; }
.dashboard-table { overflow-x: auto; }
.dashboard-table[tabindex]:focus-visible { outline: 0.125rem solid; outline-offset: 0.125rem; }
.dashboard-table td, .dashboard-table th[data-numeric] { text-align: end; font-variant-numeric: tabular-nums; }
.dashboard-legend { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; padding: 0; list-style: none; }
.dashboard-legend svg { vertical-align: -0.1em; }
`;
