/* litmap serve: the home, progress and failure pages.  Their data comes from the JSON block
   #litmap-page; every string in it (titles, ids, messages) reaches the DOM only through
   textContent / createElement, never as markup. */
(function () {
  'use strict';
  var DATA = JSON.parse(document.getElementById('litmap-page').textContent);
  var ROOT = document.getElementById('root');
  var API = window.litmapApp = { kind: DATA.kind, events: 0, state: null };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function fmt(n) { return n == null ? '?' : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function link(text, href) { var a = el('a', null, text); a.href = href; return a; }
  function duration(s) { return s < 90 ? Math.round(s) + ' s' : Math.round(s / 60) + ' min'; }
  function header(title, sub) {
    var h = add(ROOT, el('header'));
    var top = add(h, el('p', 'brand'));
    add(top, link('litmap', '/'));
    add(h, el('h1', null, title));
    if (sub) add(h, el('p', 'muted', sub));
  }

  // ---------------------------------------------------------------- home
  function home() {
    document.title = 'litmap';
    header('Literature maps', 'From ' + DATA.source + '. Click any paper on a map to map it in turn.');
    var card = add(ROOT, el('section', 'card'));
    var form = add(card, el('form'));
    form.id = 'search'; form.method = 'get'; form.action = '/map';
    var label = add(form, el('label', null, 'Map a paper'));
    label.htmlFor = 'seed';
    var row = add(form, el('div', 'row'));
    var input = add(row, el('input'));
    input.id = 'seed'; input.name = 'seed'; input.type = 'search'; input.required = true; input.autocomplete = 'off';
    input.placeholder = 'hep-th/9711200, 10.1145/..., a Semantic Scholar URL, or a title';
    var go = add(row, el('button', 'primary', 'Map'));
    go.type = 'submit'; go.id = 'go';
    add(form, el('p', 'hint', 'Any identifier litmap seed takes: arXiv ids, DOIs, Semantic Scholar ids and URLs, ' +
      'CorpusId:N, PMID:N, PMCID:PMCN, ACL:..., MAG:N; anything else is looked up as a title.'));
    var opt = add(form, el('p', 'hint'));
    var nl = add(opt, el('label', null, 'Related papers '));
    var nodes = add(nl, el('input'));
    nodes.type = 'number'; nodes.name = 'nodes'; nodes.id = 'nodes'; nodes.min = '1'; nodes.max = '2000'; nodes.value = '40';
    form.addEventListener('submit', function () { if (nodes.value === '40') nodes.disabled = true; });

    var lib = add(ROOT, el('section', 'card'));
    add(lib, el('h2', null, 'Open your library'));
    add(lib, el('p', 'hint', DATA.accepted + ', up to ' + Math.round(DATA.uploadMax / 1e6) +
      ' MB. It is read in memory and never written anywhere; the map shows what it is missing.'));
    var file = add(lib, el('input'));
    file.type = 'file'; file.id = 'library'; file.accept = '.bib,.bibtex,.ris,.json,.csv,.txt';
    var status = add(lib, el('p', 'status'));
    status.id = 'upload-status'; status.setAttribute('role', 'status');
    file.addEventListener('change', function () {
      var f = file.files[0];
      if (!f) return;
      if (f.size > DATA.uploadMax) {
        status.className = 'status error';
        status.textContent = f.name + ' is ' + (f.size / 1e6).toFixed(1) + ' MB; litmap serve takes library files up to ' +
          Math.round(DATA.uploadMax / 1e6) + ' MB (for a bigger one: litmap seed --from FILE).';
        return;
      }
      status.className = 'status';
      status.textContent = 'Reading ' + f.name + '...';
      var q = new URLSearchParams({ name: f.name });
      if (nodes.value && nodes.value !== '40') q.set('nodes', nodes.value);
      fetch('/api/library?' + q.toString(), { method: 'POST', body: f, credentials: 'same-origin',
                                             headers: { 'Content-Type': 'application/octet-stream' } })
        .then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
        .then(function (res) {
          if (res[0] === 201) { status.textContent = 'Mapping ' + fmt(res[1].entries) + ' entries...'; location.assign(res[1].url); }
          else { status.className = 'status error'; status.textContent = res[1].error || ('Upload failed (' + res[0] + ')'); }
        })
        .catch(function () { status.className = 'status error'; status.textContent = 'litmap serve did not answer; is it still running?'; });
    });

    var recent = add(ROOT, el('section', 'card'));
    add(recent, el('h2', null, 'Maps in the cache'));
    if (!DATA.maps.length) { add(recent, el('p', 'muted', 'No maps yet: map a paper above.')); return; }
    add(recent, el('p', 'hint', 'Newest first; they open with no request.'));
    var list = add(recent, el('ol', 'maps'));
    list.id = 'maps';
    DATA.maps.forEach(function (m) {
      var li = add(list, el('li'));
      var a = add(li, link(m.title || m.seeds.join(', '), m.url));
      a.className = 'map-link';
      var more = m.seeds.length > 1 ? ' + ' + (m.seeds.length - 1) + ' more seed' + (m.seeds.length > 2 ? 's' : '') : '';
      add(li, el('span', 'meta', [m.seeds.join(', ') + more, fmt(m.papers) + ' papers', m.created].join(' \u00b7 ')));
    });
  }

  // ---------------------------------------------------------------- progress
  function wait() {
    var job = DATA.job;
    document.title = 'litmap: building ' + job.label;
    header('Building the map', job.label);
    var card = add(ROOT, el('section', 'card'));
    var bar = add(card, el('div', 'bar'));
    var fill = add(bar, el('div', 'fill'));
    bar.setAttribute('role', 'progressbar');
    var stage = add(card, el('p', 'stage'));
    stage.id = 'stage';
    var figures = add(card, el('p', 'figures'));
    figures.id = 'figures';
    add(card, el('p', 'hint', 'Every answer is kept in the cache as it arrives: a cancelled map keeps what it fetched, ' +
      'and the next try goes on from there.'));
    var message = add(card, el('p', 'status error'));
    message.id = 'message'; message.hidden = true; message.setAttribute('role', 'alert');
    var actions = add(card, el('div', 'row'));
    var cancel = add(actions, el('button', null, 'Cancel'));
    cancel.type = 'button'; cancel.id = 'cancel';
    var again = add(actions, el('button', 'primary', 'Try again'));
    again.type = 'button'; again.id = 'again'; again.hidden = true;
    again.addEventListener('click', function () { location.reload(); });
    add(actions, link('Home', '/'));

    function show(s) {
      API.state = s.state; API.last = s;
      stage.textContent = s.cancelling ? 'Cancelling...' : s.stage;
      var parts = [];
      if (s.expected) parts.push('request ' + fmt(s.requests) + ' of about ' + fmt(s.expected));
      else parts.push(fmt(s.requests) + (s.requests === 1 ? ' request' : ' requests'));
      if (s.seconds_left) parts.push('about ' + duration(s.seconds_left) + ' left');
      parts.push(fmt(s.papers) + ' papers known');
      parts.push(duration(s.elapsed) + ' so far');
      figures.textContent = parts.join(' \u00b7 ');
      bar.classList.toggle('unknown', !s.expected);
      if (s.expected) {
        fill.style.width = Math.min(100, Math.round(100 * s.requests / s.expected)) + '%';
        bar.setAttribute('aria-valuenow', String(s.requests)); bar.setAttribute('aria-valuemax', String(s.expected));
      }
      if (s.state === 'failed' || s.state === 'cancelled') {
        message.hidden = false;
        message.textContent = s.state === 'cancelled' ? 'Cancelled: everything fetched so far is kept in the cache.' : s.message;
        stage.textContent = s.state === 'cancelled' ? 'Cancelled' : 'Failed';
        cancel.hidden = true; again.hidden = false; bar.classList.remove('unknown');
        document.title = 'litmap: ' + stage.textContent;
      }
    }
    show(job);
    cancel.addEventListener('click', function () {
      cancel.disabled = true; cancel.textContent = 'Cancelling...';
      fetch('/api/jobs/' + encodeURIComponent(job.id) + '/cancel', { method: 'POST', credentials: 'same-origin' })
        .then(function (r) { return r.json(); }).then(show).catch(function () {});
    });
    var source = new EventSource('/api/events?job=' + encodeURIComponent(job.id));
    function on(name, handler) {
      source.addEventListener(name, function (ev) { API.events++; handler(JSON.parse(ev.data)); });
    }
    on('progress', show);
    on('done', function (s) { show(s); source.close(); stage.textContent = 'Done: opening the map...'; location.reload(); });
    on('failed', function (s) { source.close(); show(s); });
    on('cancelled', function (s) { source.close(); show(s); });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED && API.state === 'running') {
        message.hidden = false; again.hidden = false;
        message.textContent = 'Lost contact with litmap serve; reload the page when it runs again.';
      }
    };
  }

  // ---------------------------------------------------------------- failure
  function failure() {
    document.title = 'litmap: ' + (DATA.status === 404 ? 'not found' : 'error');
    header('litmap could not make this map');
    var card = add(ROOT, el('section', 'card'));
    var p = add(card, el('p', 'status error', DATA.message));
    p.id = 'message'; p.setAttribute('role', 'alert');
    var actions = add(card, el('div', 'row'));
    var back = add(actions, el('button', null, 'Back'));
    back.type = 'button';
    back.addEventListener('click', function () { history.back(); });
    add(actions, link('Home', '/'));
  }

  ({ home: home, wait: wait, error: failure })[DATA.kind]();
  API.ready = true;
})();
