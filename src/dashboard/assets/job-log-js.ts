/**
 * The job page's part of `assets/app.js` (see `app-js.ts`, which includes it in its function
 * scope): on a job page whose job may still change, polls `api/job/<id>?after=<last line>` every
 * second, appends new log lines (built with `textContent`, never as HTML), moves the progress bar,
 * drops lines the storage no longer keeps, and once the job leaves the state the page showed,
 * offers the reload that shows its new history (and stops once the job has settled).
 */
export const JOB_LOG_JS = String.raw`  var LOG_POLL_MS = 1000;

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
`;
