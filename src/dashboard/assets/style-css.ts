/**
 * The dashboard's stylesheet, served as `assets/style.css`. Light and dark themes from CSS
 * variables: the reader's `prefers-color-scheme` unless the toggle stored a choice
 * (`<html data-theme>`). Narrow screens get a single column and scrolling tables.
 *
 * Kept as a string in a TS module so it ships in `dist/` with the compiled code.
 */
export const STYLE_CSS = String.raw`
:root {
  color-scheme: light;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1c2330; --muted: #5f6b7a; --border: #dde2e8; --grid: #e8ecf0;
  --accent: #c2410c; --accent-text: #ffffff; --link: #1d4ed8; --code-bg: #f0f2f5;
  --succeeded: #15803d; --failed: #dc2626; --enqueued: #2563eb; --scheduled: #7c3aed; --processing: #d97706;
  --deleted: #6b7280; --awaiting: #0e7490; --danger: #b91c1c;
  --radius: 6px; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
:root[data-theme="dark"] {
  color-scheme: dark;
  --bg: #0f141a; --panel: #171e26; --text: #e3e8ee; --muted: #93a0ae; --border: #2a3441; --grid: #222b36;
  --accent: #f97316; --accent-text: #111; --link: #7aa7ff; --code-bg: #1e2731;
  --succeeded: #22c55e; --failed: #f87171; --enqueued: #60a5fa; --scheduled: #a78bfa; --processing: #fbbf24;
  --deleted: #9ca3af; --awaiting: #22d3ee; --danger: #f87171;
}
@media (prefers-color-scheme: dark) {
  :root:not([data-theme="light"]) {
    color-scheme: dark;
    --bg: #0f141a; --panel: #171e26; --text: #e3e8ee; --muted: #93a0ae; --border: #2a3441; --grid: #222b36;
    --accent: #f97316; --accent-text: #111; --link: #7aa7ff; --code-bg: #1e2731;
    --succeeded: #22c55e; --failed: #f87171; --enqueued: #60a5fa; --scheduled: #a78bfa; --processing: #fbbf24;
    --deleted: #9ca3af; --awaiting: #22d3ee; --danger: #f87171;
  }
}
* { box-sizing: border-box; }
html { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 1.5rem; margin: 0 0 .75rem; display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
code, pre, .mono { font-family: var(--mono); font-size: .9em; }
pre { background: var(--code-bg); border: 1px solid var(--border); border-radius: var(--radius); padding: .75rem; overflow: auto; max-height: 32rem; white-space: pre-wrap; word-break: break-word; margin: 0; }
.muted { color: var(--muted); }
.small { font-size: .85em; }
.nowrap { white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; }

.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.25rem; padding: .6rem 1.25rem; background: var(--panel); border-bottom: 1px solid var(--border); position: sticky; top: 0; z-index: 2; }
.brand { font-weight: 700; font-size: 1.15rem; color: var(--text); display: flex; align-items: center; gap: .5rem; }
.logo { width: 1.1rem; height: 1.1rem; border-radius: 3px; background: linear-gradient(135deg, var(--accent), #facc15); display: inline-block; }
.main-nav { display: flex; flex-wrap: wrap; gap: .25rem; flex: 1; }
.main-nav a { padding: .3rem .65rem; border-radius: var(--radius); color: var(--text); }
.main-nav a.active { background: var(--accent); color: var(--accent-text); }
.main-nav a:hover { text-decoration: none; background: var(--code-bg); }
.main-nav a.active:hover { background: var(--accent); }
.count { font-size: .8em; opacity: .8; margin-left: .15rem; }
.theme-toggle { background: none; border: 1px solid var(--border); color: var(--text); border-radius: 999px; width: 2rem; height: 2rem; cursor: pointer; font-size: 1rem; }
main { flex: 1; padding: 1.25rem; max-width: 1400px; width: 100%; margin: 0 auto; }
.foot { padding: .75rem 1.25rem; color: var(--muted); font-size: .85em; text-align: center; }

.with-side { display: grid; grid-template-columns: 12rem 1fr; gap: 1.25rem; align-items: start; }
.side { display: flex; flex-direction: column; background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); overflow: hidden; }
.side a { display: flex; justify-content: space-between; align-items: center; padding: .5rem .8rem; color: var(--text); border-left: 3px solid transparent; }
.side a.active { background: var(--code-bg); border-left-color: var(--accent); font-weight: 600; }
.side a:hover { text-decoration: none; background: var(--code-bg); }
.content { min-width: 0; }

.flash { padding: .6rem .9rem; border-radius: var(--radius); border: 1px solid var(--border); background: var(--panel); margin: 0 0 1rem; }
.flash.ok { border-left: 4px solid var(--succeeded); }
.flash.warn { border-left: 4px solid var(--processing); }
.flash.error { border-left: 4px solid var(--failed); }
.hint, .empty { color: var(--muted); }
.empty { padding: 2rem; text-align: center; background: var(--panel); border: 1px dashed var(--border); border-radius: var(--radius); }

.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr)); gap: .75rem; margin-bottom: 1.25rem; }
.card { background: var(--panel); border: 1px solid var(--border); border-top: 3px solid var(--border); border-radius: var(--radius); padding: .7rem .9rem; color: var(--text); display: flex; flex-direction: column; }
.card:hover { text-decoration: none; border-color: var(--accent); }
.card-label { color: var(--muted); font-size: .85em; }
.card-value { font-size: 1.6rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.st-enqueued { border-top-color: var(--enqueued); } .card.st-scheduled { border-top-color: var(--scheduled); }
.card.st-processing { border-top-color: var(--processing); } .card.st-succeeded { border-top-color: var(--succeeded); }
.card.st-failed { border-top-color: var(--failed); } .card.st-deleted { border-top-color: var(--deleted); }
.card.st-awaiting { border-top-color: var(--awaiting); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 28rem), 1fr)); gap: 1rem; }
.chart { margin: 0; background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); padding: .75rem; }
.chart figcaption { font-weight: 600; margin-bottom: .5rem; display: flex; justify-content: space-between; align-items: center; gap: .5rem; flex-wrap: wrap; }
.canvas-box { position: relative; height: 15rem; }
.tabs { display: inline-flex; border: 1px solid var(--border); border-radius: var(--radius); overflow: hidden; }
.tab { background: none; border: 0; padding: .2rem .7rem; color: var(--text); cursor: pointer; font: inherit; font-weight: 400; }
.tab.active { background: var(--accent); color: var(--accent-text); }
.totals { color: var(--muted); }

.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: .75rem; }
.filters input[type=search] { flex: 1 1 14rem; max-width: 28rem; }
input[type=search], select { font: inherit; padding: .35rem .55rem; border: 1px solid var(--border); border-radius: var(--radius); background: var(--panel); color: var(--text); }
.chips code { background: var(--code-bg); padding: .1rem .35rem; border-radius: 4px; }
.btn { font: inherit; padding: .35rem .8rem; border: 1px solid var(--border); border-radius: var(--radius); background: var(--panel); color: var(--text); cursor: pointer; }
.btn:hover:not(:disabled) { border-color: var(--accent); }
.btn:disabled { opacity: .5; cursor: not-allowed; }
.btn.danger { color: var(--danger); }
.toolbar { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: 0 0 .75rem; }
.selection { color: var(--muted); }

.table-wrap { overflow-x: auto; background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .5rem .7rem; border-bottom: 1px solid var(--border); text-align: left; vertical-align: top; }
th { font-size: .8em; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: var(--code-bg); }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover { background: var(--code-bg); }
td.check, th.check { width: 2rem; }
td.id { font-size: .85em; max-width: 14rem; overflow-wrap: anywhere; }
td.job { max-width: 32rem; }
.job-name { font-weight: 600; }
.preview { display: block; color: var(--muted); overflow-wrap: anywhere; font-size: .85em; }
.error-text { color: var(--failed); overflow-wrap: anywhere; }
.queue { display: inline-block; padding: 0 .4rem; border-radius: 4px; background: var(--code-bg); font-family: var(--mono); font-size: .85em; }
tr.paused { opacity: .7; }
.badge.paused { border-color: var(--scheduled); color: var(--scheduled); font-weight: 600; }
.limit { white-space: nowrap; }
.limit.full { color: var(--failed); font-weight: 600; }
form.inline { margin: 0; }
.waiting { margin: .75rem 0 0; padding: .6rem .8rem; border: 1px solid var(--border); border-left: 4px solid var(--scheduled); border-radius: var(--radius); background: var(--panel); }
.waiting ul { margin: .3rem 0; padding-left: 1.2rem; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .75rem; border: 1px solid var(--border); color: var(--muted); }
.state { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .75rem; font-weight: 600; color: #fff; background: var(--deleted); text-transform: lowercase; }
.state.st-enqueued { background: var(--enqueued); } .state.st-scheduled { background: var(--scheduled); }
.state.st-processing { background: var(--processing); color: #111; } .state.st-succeeded { background: var(--succeeded); }
.state.st-failed { background: var(--failed); } .state.st-awaiting { background: var(--awaiting); }
.alive { color: var(--succeeded); } .late { color: var(--failed); font-weight: 600; }

.pager { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .5rem 1rem; margin-top: .75rem; color: var(--muted); }
.pager .pages, .pager .sizes { display: flex; flex-wrap: wrap; gap: .25rem; align-items: center; }
.pager a, .pager span.current, .pager span.disabled, .pager .gap { padding: .15rem .5rem; border-radius: 4px; }
.pager span.current { background: var(--accent); color: var(--accent-text); }
.pager span.disabled { opacity: .5; }

.crumbs { margin: 0 0 .25rem; color: var(--muted); }
.id-line { color: var(--muted); margin: -.5rem 0 .75rem; overflow-wrap: anywhere; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); padding: .75rem 1rem; margin: 0; }
.facts dt, .kv dt { color: var(--muted); }
.facts dd, .kv dd { margin: 0; overflow-wrap: anywhere; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0 0; }
.plain { list-style: none; padding: 0; margin: 0; }
.history { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: .6rem; }
.history .entry { background: var(--panel); border: 1px solid var(--border); border-left: 4px solid var(--deleted); border-radius: var(--radius); padding: .6rem .8rem; }
.entry.st-enqueued { border-left-color: var(--enqueued); } .entry.st-scheduled { border-left-color: var(--scheduled); }
.entry.st-processing { border-left-color: var(--processing); } .entry.st-succeeded { border-left-color: var(--succeeded); }
.entry.st-failed { border-left-color: var(--failed); } .entry.st-awaiting { border-left-color: var(--awaiting); }
.entry-head { display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline; }
.entry-head time { margin-left: auto; color: var(--muted); }
.exception { margin-top: .5rem; }
.exception p { margin: 0 0 .4rem; font-weight: 600; }
.stack { font-size: .8em; }
.error-type { display: inline-block; margin-bottom: .2rem; padding: 0 .4rem; border-radius: 4px; background: var(--code-bg); color: var(--failed); font-family: var(--mono); font-size: .8em; }
.progress { display: inline-flex; align-items: center; gap: .4rem; white-space: nowrap; }
.progress progress { width: 6rem; height: .55rem; appearance: none; border: 0; border-radius: 999px; background: var(--grid); overflow: hidden; }
.progress progress::-webkit-progress-bar { background: var(--grid); border-radius: 999px; }
.progress progress::-webkit-progress-value { background: var(--processing); border-radius: 999px; }
.progress progress::-moz-progress-bar { background: var(--processing); border-radius: 999px; }
.server.gone { color: var(--muted); }
.log { list-style: none; margin: 0; padding: .5rem .75rem; background: var(--code-bg); border: 1px solid var(--border); border-radius: var(--radius); max-height: 32rem; overflow: auto; font-family: var(--mono); font-size: .85em; }
.log:empty { display: none; }
.log-line { white-space: pre-wrap; word-break: break-word; padding: .05rem 0; }
.log-line time { color: var(--muted); }
.log-line .lvl { display: inline-block; min-width: 3.2rem; text-transform: uppercase; font-weight: 600; color: var(--muted); }
.log-line.lvl-info .lvl { color: var(--enqueued); } .log-line.lvl-warn .lvl { color: var(--processing); } .log-line.lvl-error .lvl { color: var(--failed); }
.log-line .fields { color: var(--muted); }
.log-dropped { margin: 0 0 .35rem; }
.not-found { max-width: 40rem; }

@media (max-width: 760px) {
  main { padding: .75rem; }
  .top { padding: .5rem .75rem; }
  .with-side { grid-template-columns: 1fr; }
  .side { flex-direction: row; overflow-x: auto; }
  .side a { white-space: nowrap; border-left: 0; border-bottom: 3px solid transparent; gap: .35rem; }
  .side a.active { border-bottom-color: var(--accent); }
  .card-value { font-size: 1.3rem; }
  /* Lists become one block per row, each value under its column's name. */
  table.stack thead tr { display: block; }
  table.stack thead th { display: none; }
  table.stack thead th.check { display: block; border: 0; }
  table.stack tbody tr { display: block; position: relative; padding: .5rem .7rem; border-bottom: 1px solid var(--border); }
  table.stack tbody tr:has(td.check) { padding-left: 2.5rem; }
  table.stack tbody tr:last-child { border-bottom: 0; }
  table.stack td { display: block; border: 0; padding: .1rem 0; max-width: none; }
  table.stack td.check { position: absolute; left: .7rem; top: .55rem; padding: 0; }
  table.stack td[data-label]::before { content: attr(data-label) " "; color: var(--muted); font-size: .75em; text-transform: uppercase; letter-spacing: .04em; margin-right: .35rem; }
  table.stack td.job::before, table.stack td.id::before { display: none; }
  .facts, .kv { grid-template-columns: 1fr; }
  .facts dd, .kv dd { margin-bottom: .35rem; }
}
`;
