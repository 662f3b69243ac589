/* litmap serve's addon to the map page (litmap/serve/pages.py): a bar with the seeds, the
   exports and the way home, and on every paper's details Map this paper / Add as seed /
   Remove seed.  It runs after map.js and only reads what that page shows; every action is a
   navigation to another map's URL, so Back and Forward walk the maps.  Strings reach the DOM
   only as text, as in map.js. */
(function () {
  'use strict';
  var CONF = JSON.parse(document.getElementById('litmap-addon').textContent);
  var L = window.litmap, DATA = L.data;
  var app = L.app = { ready: false, selected: null };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }

  var papers = new Map();
  DATA.nodes.concat(DATA.prior, DATA.derivative, DATA.library ? DATA.library.unlinked : [])
    .forEach(function (p) { if (!papers.has(p.id)) papers.set(p.id, p); });
  var given = CONF.seeds.map(function (s) { return s.given; });
  var seedIds = CONF.library ? CONF.library.seeds : CONF.seeds.map(function (s) { return s.id; });

  // ---------------------------------------------------------------- where each action goes
  function mapUrl(seeds) {
    var q = new URLSearchParams();
    seeds.forEach(function (s) { q.append('seed', s); });
    Object.keys(CONF.options).forEach(function (k) { q.set(k, String(CONF.options[k])); });
    return '/map?' + q.toString();
  }
  function isSeed(id) { return seedIds.indexOf(id) >= 0; }
  function withSeed(id) {
    var seeds = CONF.library ? CONF.library.seeds.slice() : given.slice();
    return seeds.length + 1 > CONF.maxSeeds ? null : mapUrl(seeds.concat([id]));
  }
  function withoutSeed(id) {
    var seeds = CONF.library ? CONF.library.seeds.filter(function (s) { return s !== id; })
      : CONF.seeds.filter(function (s) { return s.id !== id; }).map(function (s) { return s.given; });
    return seeds.length && seeds.length <= CONF.maxSeeds ? mapUrl(seeds) : null;
  }
  app.urls = { map: function (id) { return mapUrl([id]); }, add: withSeed, remove: withoutSeed };
  function go(url, what) {
    $('lm-status').textContent = what;
    document.body.classList.add('lm-leaving');
    location.assign(url);
  }
  function label(id) { var p = papers.get(id); return p ? (p.label || p.title) : id; }

  // ---------------------------------------------------------------- the bar
  var bar = el('nav', null);
  bar.id = 'litmap-bar';
  bar.setAttribute('aria-label', 'litmap serve');
  var top = add(bar, el('div', 'lm-row'));
  var home = add(top, el('a', 'lm-home', 'litmap'));
  home.href = '/'; home.title = 'Home: search, your library, the maps in the cache';
  add(top, el('span', 'lm-muted', 'from ' + CONF.source + ' \u00b7 ' + CONF.requests +
    (CONF.requests === 1 ? ' request' : ' requests')));

  var seedRow = add(bar, el('div', 'lm-row lm-seeds'));
  if (CONF.library) {
    add(seedRow, el('span', 'lm-muted', 'Library ' + CONF.library.name + ': ' + CONF.library.seeds.length + ' papers'));
  } else {
    add(seedRow, el('span', 'lm-muted', CONF.seeds.length === 1 ? 'Seed' : 'Seeds'));
    CONF.seeds.forEach(function (s) {
      var chip = add(seedRow, el('span', 'lm-chip'));
      var name = add(chip, el('span', null, s.id ? label(s.id) : s.given));
      name.title = s.given + (s.id && papers.get(s.id) ? ': ' + papers.get(s.id).title : '');
      var x = add(chip, el('button', 'lm-x', '\u00d7'));
      x.type = 'button';
      x.setAttribute('aria-label', 'Remove seed ' + (s.id ? label(s.id) : s.given));
      var url = s.id ? withoutSeed(s.id) : null;
      x.disabled = !url;
      x.title = url ? 'Remove this seed' : 'The only seed: map another paper instead';
      x.addEventListener('click', function () { if (url) go(url, 'Opening the map without this seed...'); });
    });
  }

  var ex = add(bar, el('div', 'lm-row lm-export'));
  add(ex, el('span', 'lm-muted', 'Export'));
  var which = add(ex, el('select'));
  which.id = 'lm-which';
  which.setAttribute('aria-label', 'Papers to export');
  [['map', 'map papers'], ['prior', 'Prior works'], ['derivative', 'Derivative works'], ['all', 'all listed']]
    .concat(CONF.missing ? [['missing', 'Missing']] : []).forEach(function (o) {
      var opt = add(which, el('option', null, o[1])); opt.value = o[0];
    });
  var links = [];
  CONF.formats.forEach(function (f) {
    var a = add(ex, el('a', 'lm-button', f[1]));
    a.id = 'lm-export-' + f[0];
    a.setAttribute('download', '');
    links.push([a, f[0]]);
  });
  var page = add(ex, el('a', 'lm-button', 'Download this page'));
  page.id = 'lm-page';
  page.href = '/api/page?' + CONF.query;
  page.setAttribute('download', CONF.stem + '.html');
  page.title = 'The self-contained page litmap seed writes: works offline, e-mail it';
  function exportLinks() {
    links.forEach(function (x) {
      x[0].href = '/api/export?' + CONF.query + (CONF.query ? '&' : '') + 'format=' + x[1] +
        (which.value === 'map' ? '' : '&which=' + which.value);
    });
  }
  which.addEventListener('change', exportLinks);
  exportLinks();
  var status = add(bar, el('p', 'lm-status'));
  status.id = 'lm-status';
  status.setAttribute('role', 'status');
  var panel = $('panel');
  panel.insertBefore(bar, panel.firstChild);

  // ---------------------------------------------------------------- actions on a paper
  var box = el('div', 'lm-actions');
  box.id = 'litmap-actions';
  var mapThis = add(box, el('button', 'lm-primary', 'Map this paper'));
  var addSeed = add(box, el('button', null, 'Add as seed'));
  var removeSeed = add(box, el('button', null, 'Remove seed'));
  mapThis.id = 'lm-map-this'; addSeed.id = 'lm-add-seed'; removeSeed.id = 'lm-remove-seed';
  [mapThis, addSeed, removeSeed].forEach(function (b) { b.type = 'button'; });
  var links0 = $('d-links');
  links0.parentNode.insertBefore(box, links0.nextSibling);

  // The page's own selection, read from what it shows: the highlighted row (any tab), else
  // the selected node; the details' title must be that paper's.
  function selected() {
    if ($('details').hidden) return null;
    var row = document.querySelector('#list li.selected'), nodes = L.network.getSelectedNodes();
    var ids = [row && row._paper ? row._paper.id : null, nodes.length ? nodes[0] : null];
    var title = $('d-title').textContent;
    for (var i = 0; i < ids.length; i++) {
      var p = ids[i] && papers.get(ids[i]);
      if (p && p.title === title) return p.id;
    }
    return null;
  }
  function refresh() {
    var id = selected();
    app.selected = id;
    box.hidden = !id;
    if (!id) return;
    var seed = isSeed(id), more = withSeed(id), less = withoutSeed(id);
    addSeed.hidden = seed; removeSeed.hidden = !seed;
    mapThis.disabled = seed && seedIds.length === 1;
    mapThis.title = mapThis.disabled ? 'This is the map of this paper' : 'A new map around this paper alone';
    addSeed.disabled = !more;
    addSeed.title = more ? 'This map, with this paper as one more seed' : 'Too many seeds for one map address';
    removeSeed.disabled = !less;
    removeSeed.title = less ? 'This map without this seed' : 'The only seed: map another paper instead';
  }
  mapThis.addEventListener('click', function () { if (app.selected) go(mapUrl([app.selected]), 'Opening the map of ' + label(app.selected) + '...'); });
  addSeed.addEventListener('click', function () { var u = app.selected && withSeed(app.selected); if (u) go(u, 'Adding ' + label(app.selected) + ' as a seed...'); });
  removeSeed.addEventListener('click', function () { var u = app.selected && withoutSeed(app.selected); if (u) go(u, 'Removing ' + label(app.selected) + '...'); });
  // (not the whole #details: the buttons live there, and their changes would call refresh again)
  new MutationObserver(refresh).observe($('details'), { attributes: true, attributeFilter: ['hidden'] });
  new MutationObserver(refresh).observe($('d-title'), { childList: true, characterData: true, subtree: true });
  new MutationObserver(refresh).observe($('list'), { attributes: true, attributeFilter: ['class'], subtree: true });
  refresh();
  window.addEventListener('pageshow', function () { document.body.classList.remove('lm-leaving'); status.textContent = ''; });
  app.ready = true;
})();
