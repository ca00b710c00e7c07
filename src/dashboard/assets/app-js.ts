import { JOB_LOG_JS } from './job-log-js.js';

/**
 * The dashboard's only script, served as `assets/app.js` (the Content-Security-Policy allows no
 * inline script). Plain ES5-style JavaScript, no build step. It sets the theme before the page
 * paints, enables bulk buttons when rows are selected, asks before deleting, shows times in the
 * reader's zone, and on the overview polls `api/stats` every 2 s for the counters and the
 * realtime chart (deltas of `succeededTotal`/`failedTotal` per second) and draws the history
 * chart from `api/history` with Chart.js. On a job page whose job may still change, it polls
 * `api/job/<id>?after=<last line>` every second: new log lines are appended (built with
 * `textContent`, never as HTML), the progress bar moves, and once the job leaves the state the page
 * showed, a link offers the reload that shows its new history.
 *
 * Kept as a string in a TS module so it ships in `dist/` with the compiled code; the job page's
 * part is in `job-log-js.ts`.
 */
export const APP_JS = String.raw`(function () {
  'use strict';
  var root = document.documentElement;
  var KEY = 'kiln-theme';
  var POLL_MS = 2000;
  var POINTS = 60;

  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function applyTheme(t) {
    if (t === 'light' || t === 'dark') root.setAttribute('data-theme', t);
    else root.removeAttribute('data-theme');
  }
  applyTheme(stored());

  function ready(fn) {
    if (document.readyState !== 'loading') fn();
    else document.addEventListener('DOMContentLoaded', fn);
  }

  function setupTheme() {
    var toggle = document.querySelector('[data-theme-toggle]');
    if (!toggle) return;
    var icons = { auto: '\u25D0', light: '\u2600', dark: '\u263E' };
    function label() {
      var t = stored() || 'auto';
      toggle.title = 'Theme: ' + t;
      toggle.setAttribute('data-mode', t);
      toggle.textContent = icons[t] || icons.auto;
    }
    label();
    toggle.addEventListener('click', function () {
      var order = ['auto', 'light', 'dark'];
      var next = order[(order.indexOf(stored() || 'auto') + 1) % order.length];
      try {
        if (next === 'auto') localStorage.removeItem(KEY); else localStorage.setItem(KEY, next);
      } catch (e) { /* private mode: the choice lasts until the page changes */ }
      applyTheme(next);
      label();
      document.dispatchEvent(new CustomEvent('kiln:theme'));
    });
  }

  function setupTimes() {
    var times = document.querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var d = new Date(times[i].getAttribute('datetime'));
      if (!isNaN(d.getTime())) times[i].title = d.toLocaleString();
    }
  }

  function setupList(form) {
    var all = form.querySelector('[data-select-all]');
    var boxes = form.querySelectorAll('input[type=checkbox][name=ids]');
    var bulk = form.querySelectorAll('[data-bulk]');
    var count = form.querySelector('[data-selection-count]');
    function update() {
      var n = 0;
      for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) n++;
      for (var j = 0; j < bulk.length; j++) bulk[j].disabled = n === 0;
      if (count) count.textContent = n > 0 ? n + ' selected' : '';
      if (all) {
        all.checked = n > 0 && n === boxes.length;
        all.indeterminate = n > 0 && n < boxes.length;
      }
    }
    if (all) all.addEventListener('change', function () {
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
      update();
    });
    for (var i = 0; i < boxes.length; i++) boxes[i].addEventListener('change', update);
    update();
  }

  function setupConfirm() {
    document.addEventListener('click', function (ev) {
      var target = ev.target;
      var button = target && target.closest ? target.closest('[data-confirm]') : null;
      if (button && !window.confirm(button.getAttribute('data-confirm'))) ev.preventDefault();
    });
  }

  function css(name) {
    return getComputedStyle(root).getPropertyValue(name).trim();
  }
  function palette() {
    return { ok: css('--succeeded'), bad: css('--failed'), grid: css('--grid'), text: css('--muted') };
  }
  function dataset(label, color, data) {
    return {
      label: label, data: data, borderColor: color, backgroundColor: color + '33',
      fill: true, tension: 0.3, pointRadius: 2, pointHoverRadius: 4, borderWidth: 2
    };
  }
  function chartOptions(p) {
    return {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { labels: { color: p.text } } },
      scales: {
        x: { ticks: { color: p.text, maxRotation: 0, autoSkip: true, maxTicksLimit: 8 }, grid: { color: p.grid } },
        y: { beginAtZero: true, ticks: { color: p.text, precision: 0 }, grid: { color: p.grid } }
      }
    };
  }
  function recolor(chart) {
    if (!chart) return;
    var p = palette();
    chart.data.datasets[0].borderColor = p.ok; chart.data.datasets[0].backgroundColor = p.ok + '33';
    chart.data.datasets[1].borderColor = p.bad; chart.data.datasets[1].backgroundColor = p.bad + '33';
    chart.options = chartOptions(p);
    chart.update('none');
  }

  function setupOverview(section) {
    var statsUrl = section.getAttribute('data-stats-url');
    var historyUrl = section.getAttribute('data-history-url');
    var Chart = window.Chart;
    var p = palette();
    var realtime = null;
    var history = null;
    var rtCanvas = document.getElementById('realtime-chart');
    var hCanvas = document.getElementById('history-chart');
    if (Chart && rtCanvas) {
      realtime = new Chart(rtCanvas, {
        type: 'line',
        data: { labels: [], datasets: [dataset('Succeeded', p.ok, []), dataset('Failed', p.bad, [])] },
        options: chartOptions(p)
      });
    }
    var last = null;
    var polls = 0;
    function setCounters(s) {
      var els = section.querySelectorAll('[data-stat]');
      for (var i = 0; i < els.length; i++) {
        var key = els[i].getAttribute('data-stat');
        var v = s.states && key in s.states ? s.states[key] : s[key];
        if (typeof v === 'number') els[i].textContent = v.toLocaleString('en-US');
      }
    }
    function onStats(s) {
      setCounters(s);
      if (realtime && last && s.at > last.at) {
        var dt = (s.at - last.at) / 1000;
        var labels = realtime.data.labels;
        labels.push(new Date(s.at).toLocaleTimeString());
        realtime.data.datasets[0].data.push(Math.max(0, (s.succeededTotal - last.succeededTotal) / dt));
        realtime.data.datasets[1].data.push(Math.max(0, (s.failedTotal - last.failedTotal) / dt));
        if (labels.length > POINTS) {
          labels.shift();
          realtime.data.datasets[0].data.shift();
          realtime.data.datasets[1].data.shift();
        }
        realtime.update('none');
      }
      last = s;
      polls++;
      section.setAttribute('data-polls', String(polls));
    }
    function poll() {
      fetch(statsUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) { if (s) onStats(s); })
        .catch(function () { /* the next poll tries again */ })
        .then(function () { setTimeout(poll, POLL_MS); });
    }
    poll();

    var historyData = null;
    var range = 'hour';
    function drawHistory() {
      if (!Chart || !hCanvas || !historyData) return;
      var points = range === 'hour' ? historyData.hours : historyData.days;
      var labels = points.map(function (pt) {
        var d = new Date(pt.at);
        return range === 'hour' ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString([], { month: 'short', day: 'numeric' });
      });
      var ok = points.map(function (pt) { return pt.succeeded; });
      var bad = points.map(function (pt) { return pt.failed; });
      if (!history) {
        var c = palette();
        history = new Chart(hCanvas, {
          type: 'line',
          data: { labels: labels, datasets: [dataset('Succeeded', c.ok, ok), dataset('Failed', c.bad, bad)] },
          options: chartOptions(c)
        });
      } else {
        history.data.labels = labels;
        history.data.datasets[0].data = ok;
        history.data.datasets[1].data = bad;
        history.update('none');
      }
      section.setAttribute('data-history-range', range);
    }
    fetch(historyUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (h) { historyData = h; drawHistory(); })
      .catch(function () { /* the chart stays empty */ });
    var tabs = section.querySelectorAll('[data-history]');
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].addEventListener('click', function (ev) {
        range = ev.currentTarget.getAttribute('data-history');
        for (var j = 0; j < tabs.length; j++) {
          var on = tabs[j] === ev.currentTarget;
          tabs[j].classList.toggle('active', on);
          tabs[j].setAttribute('aria-pressed', on ? 'true' : 'false');
        }
        drawHistory();
      });
    }
    document.addEventListener('kiln:theme', function () { recolor(realtime); recolor(history); });
    if (window.matchMedia) {
      var mq = window.matchMedia('(prefers-color-scheme: dark)');
      if (mq.addEventListener) mq.addEventListener('change', function () { recolor(realtime); recolor(history); });
    }
  }

${JOB_LOG_JS}
  ready(function () {
    setupTheme();
    setupTimes();
    setupConfirm();
    var lists = document.querySelectorAll('form[data-list]');
    for (var i = 0; i < lists.length; i++) setupList(lists[i]);
    var overview = document.querySelector('[data-overview]');
    if (overview) setupOverview(overview);
    var live = document.querySelector('[data-live-url]');
    if (live) setupJobLog(live);
  });
})();
`;
