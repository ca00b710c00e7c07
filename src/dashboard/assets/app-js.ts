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
 * Kept as a string in a TS module so it ships in `dist/` with the compiled code.
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

  var LOG_POLL_MS = 1000;

  function progressView(value) {
    var wrap = document.createElement('span');
    if (typeof value === 'number' && value >= 0 && value <= 100) {
      var percent = Math.round(value);
      wrap.className = 'progress';
      var bar = document.createElement('progress');
      bar.max = 100;
      bar.value = percent;
      bar.setAttribute('aria-label', 'Progress ' + percent + '%');
      var num = document.createElement('span');
      num.className = 'num';
      num.textContent = percent + '%';
      wrap.appendChild(bar);
      wrap.appendChild(document.createTextNode(' '));
      wrap.appendChild(num);
    } else {
      var code = document.createElement('code');
      code.className = 'preview';
      var text = value === null || value === undefined ? '—' : JSON.stringify(value);
      code.textContent = text.length > 60 ? text.slice(0, 59) + '…' : text;
      wrap.appendChild(code);
    }
    return wrap;
  }

  function logLine(line) {
    var li = document.createElement('li');
    li.className = 'log-line lvl-' + line.level;
    li.setAttribute('data-seq', String(line.seq));
    var iso = new Date(line.at).toISOString();
    var t = document.createElement('time');
    t.setAttribute('datetime', iso);
    t.title = new Date(line.at).toLocaleString();
    t.textContent = iso.slice(11, 23);
    var lvl = document.createElement('span');
    lvl.className = 'lvl';
    lvl.textContent = line.level;
    var msg = document.createElement('span');
    msg.className = 'msg';
    msg.textContent = line.message;
    li.appendChild(t);
    li.appendChild(document.createTextNode(' '));
    li.appendChild(lvl);
    li.appendChild(document.createTextNode(' '));
    li.appendChild(msg);
    if (line.fields !== undefined) {
      var code = document.createElement('code');
      code.className = 'fields';
      code.textContent = JSON.stringify(line.fields);
      li.appendChild(document.createTextNode(' '));
      li.appendChild(code);
    }
    return li;
  }

  function setupJobLog(section) {
    var url = section.getAttribute('data-live-url');
    var shown = section.getAttribute('data-state');
    var after = Number(section.getAttribute('data-after')) || 0;
    var list = section.querySelector('[data-log]');
    var empty = section.querySelector('[data-log-empty]');
    var dropped = section.querySelector('[data-log-dropped]');
    var droppedCount = section.querySelector('[data-dropped-count]');
    var status = section.querySelector('[data-log-status]');
    var progress = document.querySelector('[data-live-progress]');
    var polls = 0;
    function onLive(j) {
      for (var i = 0; i < j.lines.length; i++) {
        if (j.lines[i].seq > after) {
          list.appendChild(logLine(j.lines[i]));
          after = j.lines[i].seq;
        }
      }
      if (list.children.length > 0 && empty) empty.hidden = true;
      if (j.dropped > 0 && dropped) {
        dropped.hidden = false;
        droppedCount.textContent = String(j.dropped);
        // Lines the storage no longer keeps are gone from the page too.
        while (list.firstElementChild && Number(list.firstElementChild.getAttribute('data-seq')) <= j.dropped) list.removeChild(list.firstElementChild);
      }
      if (progress && j.progress !== null) progress.replaceChildren(progressView(j.progress));
      polls++;
      section.setAttribute('data-polls', String(polls));
      if (j.state !== shown) {
        status.textContent = '';
        var a = document.createElement('a');
        a.href = window.location.href;
        a.textContent = 'The job is now ' + j.state + ': reload for its history';
        a.setAttribute('data-state-changed', j.state);
        status.appendChild(a);
        if (j.state === 'succeeded' || j.state === 'failed' || j.state === 'deleted') return false;
        shown = j.state;
      }
      return true;
    }
    function poll() {
      fetch(url + '?after=' + after, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) { return j ? onLive(j) : true; })
        .catch(function () { return true; /* the next poll tries again */ })
        .then(function (more) { if (more) setTimeout(poll, LOG_POLL_MS); });
    }
    setTimeout(poll, LOG_POLL_MS);
  }

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
