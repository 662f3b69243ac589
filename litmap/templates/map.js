/* litmap map page.  Every string in DATA is untrusted corpus text: it reaches the DOM only
   through textContent / createElement, and hrefs are built only from validated ids on fixed
   https:// prefixes.  Nothing here uses innerHTML, insertAdjacentHTML or document.write. */
(function () {
  'use strict';
  var API = window.litmap = { ready: false, firstDraw: null, marks: { start: performance.now() } };
  var DATA = JSON.parse(document.getElementById('litmap-data').textContent);
  var NODES = DATA.nodes, PRIOR = DATA.prior, DERIV = DATA.derivative, BIB = DATA.bibtex;
  var SEED_BORDER = '#e4572e', NEW_BORDER = '#1a9850', BORDER = '#55606c', INK = '#1d2430', SELECT = '#1f2d3d';
  var BIG = NODES.length > 500;
  var S2_RE = /^[0-9a-f]{40}$/, DOI_RE = /^10\.\d{3,9}\/[^\s"<>]+$/;
  var ARXIV_RE = /^(\d{4}\.\d{4,5}|[a-z][a-z.\-]*\/\d{7})(v\d+)?$/i;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function fmt(n) { return n == null ? '?' : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function rgba(hex, a) {
    var v = parseInt(hex.slice(1), 16);
    return 'rgba(' + (v >> 16 & 255) + ',' + (v >> 8 & 255) + ',' + (v & 255) + ',' + a + ')';
  }
  function shortAuthors(p) {
    var a = p.authors || [];
    if (!a.length) return 'Unknown authors';
    var s = function (name) { return name.indexOf(',') >= 0 ? name.split(',')[0] : name.split(' ').pop(); };
    if (a.length === 1) return s(a[0]);
    if (a.length === 2) return s(a[0]) + ' & ' + s(a[1]);
    return s(a[0]) + ' et al.';
  }
  function encPath(s) { return s.split('/').map(encodeURIComponent).join('/'); }

  // ---------------------------------------------------------------- indexes
  var byId = new Map(), side = new Map(), adj = new Map(), order = [];
  NODES.forEach(function (n) { byId.set(n.id, n); adj.set(n.id, new Set()); order.push(n.id); });
  [['prior', PRIOR], ['derivative', DERIV]].forEach(function (kv) {
    kv[1].forEach(function (p) { if (!byId.has(p.id) && !side.has(p.id)) { side.set(p.id, p); order.push(p.id); } });
  });
  DATA.edges.forEach(function (e) {
    adj.get(NODES[e[0]].id).add(NODES[e[1]].id);
    adj.get(NODES[e[1]].id).add(NODES[e[0]].id);
  });
  // a library map: its Missing list (map nodes, with evidence) and the library's papers,
  // those tied to nothing else in the map listed only
  var MISSING = (DATA.missing || []).map(function (r) {
    var p = byId.get(r.id);
    if (p) p.why = r.why;
    return p;
  }).filter(Boolean);
  var UNLINKED = DATA.library ? DATA.library.unlinked : [];
  UNLINKED.forEach(function (p) { p.unlinked = true; if (!byId.has(p.id) && !side.has(p.id)) { side.set(p.id, p); order.push(p.id); } });
  var LIB = DATA.library ? NODES.filter(function (n) { return n.seed; }).concat(UNLINKED) : [];
  function paper(id) { return byId.get(id) || side.get(id) || null; }

  // ---------------------------------------------------------------- graph
  function tooltip(n) {
    var box = el('div', 'tip');
    box.appendChild(el('div', 'tip-title', n.title));
    box.appendChild(el('div', 'tip-meta', shortAuthors(n) + ' \u00b7 ' + (n.year == null ? 'n.d.' : n.year) +
      ' \u00b7 ' + fmt(n.cites) + ' citations'));
    return box;
  }
  // Colours of a node/edge, normal or dimmed (search/year filter, or not a neighbour of the
  // selection).  Selection/hover only thicken the border (chosen.node), so the fill keeps
  // its year colour.
  function nodeColors(n, dim) {
    return {
      bg: dim ? rgba(fill(n), 0.16) : fill(n),
      border: n.seed ? (dim ? rgba(SEED_BORDER, 0.3) : SEED_BORDER) : n.isNew ? (dim ? rgba(NEW_BORDER, 0.3) : NEW_BORDER)
        : (dim ? 'rgba(85,96,108,0.18)' : BORDER),
      font: dim ? 'rgba(29,36,48,0.2)' : INK, stroke: dim ? 'rgba(255,255,255,0.2)' : '#ffffff'
    };
  }
  function edgeColor(e, dim) { return dim ? 'rgba(92,107,122,0.04)' : viewEdgeColor(e); }
  API.marks.parsed = performance.now();
  var visNodes = new vis.DataSet(NODES.map(function (n) {
    var c = nodeColors(n, false);
    var o = { id: n.id, x: n.x, y: n.y, label: n.label, size: n.size, title: tooltip(n),
              color: { background: c.bg, border: c.border } };
    if (n.seed) { o.shape = 'diamond'; o.borderWidth = 4; }
    else if (n.isNew) o.borderWidth = 3;
    return o;
  }));
  var visEdges = new vis.DataSet(DATA.edges.map(function (e, k) {
    return { id: 'e' + k, from: NODES[e[0]].id, to: NODES[e[1]].id, width: e[3], color: { color: e[4] } };
  }));
  API.marks.datasets = performance.now();
  var network = new vis.Network($('graph'), { nodes: visNodes, edges: visEdges }, {
    autoResize: true,
    layout: { improvedLayout: false, randomSeed: 1 },
    physics: { enabled: false, stabilization: false, solver: 'barnesHut',
               barnesHut: { gravitationalConstant: -4000, springLength: 140, avoidOverlap: 0.6, damping: 0.3 } },
    nodes: { shape: 'dot', borderWidth: 1,
             font: { size: 14, face: 'system-ui, Arial, sans-serif', color: INK, strokeWidth: 3, strokeColor: '#ffffff' },
             chosen: { label: false, node: function (v, id, selected, hovering) {
               if (selected) { v.borderColor = byId.get(id).seed ? SEED_BORDER : SELECT; v.borderWidth = byId.get(id).seed ? 5 : 3; }
               else if (hovering) { v.borderWidth = Math.max(v.borderWidth, 2); }
             } } },
    edges: { smooth: false, selectionWidth: 1.5, hoverWidth: 0,
             color: { highlight: SELECT, hover: '#5c6b7a', inherit: false } },
    interaction: { hover: !BIG, tooltipDelay: 200, hideEdgesOnDrag: BIG, hideEdgesOnZoom: BIG, multiselect: false,
                   keyboard: false, navigationButtons: false, zoomSpeed: 0.8 }
  });
  // Restyle without a DataSet update (which re-parses every option: ~0.3 ms per item, a
  // second for a 2,000-node map).  Falls back to DataSet updates if vis internals differ.
  function restyle(nodeChanges, edgeChanges) {
    var body = network.body, slowN = [], slowE = [];
    nodeChanges.forEach(function (ch) {
      var b = body && body.nodes[ch[0].id], c = nodeColors(ch[0], ch[1]);
      if (b && b.options && b.options.color && b.labelModule && b.labelModule.fontOptions) {
        b.options.color.background = c.bg; b.options.color.border = c.border;
        b.labelModule.fontOptions.color = c.font; b.labelModule.fontOptions.strokeColor = c.stroke;
        b.labelModule.labelDirty = true;    // label colours are cached with its layout
      } else slowN.push({ id: ch[0].id, color: { background: c.bg, border: c.border }, font: { color: c.font, strokeColor: c.stroke } });
    });
    edgeChanges.forEach(function (ch) {
      var b = body && body.edges['e' + ch[0]], col = edgeColor(DATA.edges[ch[0]], ch[1]);
      if (b && b.options && b.options.color) b.options.color.color = col;
      else slowE.push({ id: 'e' + ch[0], color: { color: col } });
    });
    if (slowN.length) visNodes.update(slowN);
    if (slowE.length) visEdges.update(slowE);
    if (nodeChanges.length || edgeChanges.length) requestRedraw();
  }
  function requestRedraw() {                // next animation frame, coalesced (redraw() is synchronous)
    if (network.body && network.body.emitter) network.body.emitter.emit('_requestRedraw');
    else network.redraw();
  }
  API.marks.network = performance.now();
  var state = { selected: null, tab: 'map', sort: 'similarity', q: [], ymin: null, ymax: null, onlyNew: false,
                checked: new Set(), userMoved: false,
                view: 'map', colorBy: 'year', cluster: null, hoverLink: null };
  function fit() {
    network.fit({ animation: false });
    // a small margin so the toolbar and legend overlays do not cover border nodes
    network.moveTo({ scale: Math.min(network.getScale() * 0.93, 1.6) });
    state.userMoved = false;
  }
  fit();
  network.on('zoom', function () { state.userMoved = true; });
  network.on('dragEnd', function () { state.userMoved = true; });
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (!state.userMoved) fit(); }, 120);
  });

  // ---------------------------------------------------------------- filtering
  var YMIN = null, YMAX = null;               // years over all lists, not only the map's
  NODES.concat(PRIOR, DERIV).forEach(function (p) {
    if (p.year == null) return;
    if (YMIN == null || p.year < YMIN) YMIN = p.year;
    if (YMAX == null || p.year > YMAX) YMAX = p.year;
  });
  var hays = new Map();
  function matches(p) {
    if (!inCluster(p)) return false;
    if (state.onlyNew && !p.isNew) return false;
    if (state.q.length) {
      var hay = hays.get(p);
      if (hay === undefined) {
        hay = (p.title + ' ' + p.authors.join(' ') + ' ' + (p.venue || '') + ' ' + (p.year == null ? '' : p.year)).toLowerCase();
        hays.set(p, hay);
      }
      for (var i = 0; i < state.q.length; i++) if (hay.indexOf(state.q[i]) < 0) return false;
    }
    // Only a bound the user moved filters: the boxes start at the years of every list, so
    // no Prior/Derivative row is hidden before anyone touched them.
    var lo = state.ymin != null && state.ymin !== YMIN ? state.ymin : null;
    var hi = state.ymax != null && state.ymax !== YMAX ? state.ymax : null;
    if (p.year == null) return lo == null && hi == null;
    return !(lo != null && p.year < lo) && !(hi != null && p.year > hi);
  }
  var nodeDim = new Map(), edgeDim = new Map();
  function applyGraphStyle() {
    var sel = state.selected && byId.has(state.selected) ? state.selected : null;
    var near = sel ? adj.get(sel) : null;
    var nUp = [], eUp = [];
    NODES.forEach(function (n) {
      var dim = !matches(n) || (sel !== null && n.id !== sel && !near.has(n.id)) || linkDim(n);
      if ((nodeDim.get(n.id) || false) !== dim) { nodeDim.set(n.id, dim); nUp.push([n, dim]); }
    });
    DATA.edges.forEach(function (e, k) {
      var a = NODES[e[0]].id, b = NODES[e[1]].id;
      var dim = (sel !== null && a !== sel && b !== sel) || (nodeDim.get(a) && nodeDim.get(b)) || false;
      if ((edgeDim.get(k) || false) !== dim) { edgeDim.set(k, dim); eUp.push([k, dim]); }
    });
    restyle(nUp, eUp);
  }

  // ---------------------------------------------------------------- details
  function link(text, href) {
    var a = el('a', null, text);
    a.href = href; a.target = '_blank'; a.rel = 'noopener noreferrer';
    return a;
  }
  function showDetails(p) {
    var box = $('details');
    if (!p) { box.hidden = true; return; }
    box.hidden = false;
    $('d-title').textContent = p.title;
    $('d-authors').textContent = p.authors.length ? p.authors.join(', ') : 'Unknown authors';
    var meta = [p.year == null ? 'Year unknown' : String(p.year)];
    if (p.venue) meta.push(p.venue);
    meta.push(fmt(p.cites) + ' citations');
    if (byId.has(p.id)) {
      if (p.seed) meta.push('seed paper');
      else if (p.sim != null) {
        // what the score means (README "Ranking"): relative to the best related paper
        meta.push('score ' + p.sim.toFixed(2) + ' (1.00 = most related)');
        if (p.share != null && p.share > 0)
          meta.push('cited along with the seed by ' + Math.round(100 * Math.min(p.share, 1)) + '% of its citing papers');
      }
    } else if (p.count != null) {
      meta.push(PRIOR.indexOf(p) >= 0 ? 'cited by ' + p.count + ' map papers' : 'cites ' + p.count + ' map papers');
    }
    $('d-meta').textContent = meta.join(' \u00b7 ');
    showClusterDetails(p);
    var links = $('d-links');
    while (links.firstChild) links.removeChild(links.firstChild);
    if (typeof p.id === 'string' && S2_RE.test(p.id))
      links.appendChild(link('Semantic Scholar', 'https://www.semanticscholar.org/paper/' + encodeURIComponent(p.id)));
    if (typeof p.arxiv === 'string' && ARXIV_RE.test(p.arxiv))
      links.appendChild(link('arXiv', 'https://arxiv.org/abs/' + encPath(p.arxiv)));
    if (typeof p.doi === 'string' && DOI_RE.test(p.doi))
      links.appendChild(link('DOI', 'https://doi.org/' + encPath(p.doi)));
    $('d-tldr').textContent = p.tldr ? 'TLDR: ' + p.tldr : '';
    $('d-tldr').hidden = !p.tldr;
    $('d-abstract').textContent = p.abstract || (p.tldr ? '' : 'No abstract available.');
    $('d-abstract').hidden = !p.abstract && !!p.tldr;
  }

  // ---------------------------------------------------------------- list
  var rows = { map: NODES, prior: PRIOR, derivative: DERIV, missing: MISSING, library: LIB };
  var items = { map: new Map(), prior: new Map(), derivative: new Map(), missing: new Map(), library: new Map() };
  function metaLine(p, tab) {
    var parts = [shortAuthors(p), p.year == null ? 'n.d.' : String(p.year), fmt(p.cites) + ' cites'];
    if (tab === 'map' && !p.seed && p.sim != null) parts.push('sim ' + p.sim.toFixed(2));
    if (tab === 'prior') parts.push('cited by ' + fmt(p.count) + ' in map');
    if (tab === 'derivative') parts.push('cites ' + fmt(p.count) + ' in map');
    if (tab === 'missing' && p.why) parts.push(p.why);
    if (tab === 'library' && p.unlinked) parts.push('tied to nothing else in the map: not drawn');
    return parts.join(' \u00b7 ');
  }
  function makeItem(p, tab) {
    var li = el('li');
    li.setAttribute('role', 'option');
    var cb = el('input');
    cb.type = 'checkbox';
    cb.className = 'pick';
    if (BIB[p.id] === undefined) { cb.disabled = true; cb.title = 'No BibTeX entry for this paper'; }
    else cb.setAttribute('aria-label', 'Collect for .bib');
    cb.checked = state.checked.has(p.id);
    cb.addEventListener('change', function () {
      if (cb.checked) state.checked.add(p.id); else state.checked.delete(p.id);
      syncChecks();
    });
    var main = el('div', 'item-main');
    main.tabIndex = 0;
    var title = el('span', 'item-title');
    if (tab === 'map' && p.seed) title.appendChild(el('span', 'seed-badge', 'SEED'));
    if (p.isNew) title.appendChild(el('span', 'new-badge', 'NEW'));
    if (tab === 'map') { var dot = el('span', 'dot'); dot.style.background = fill(p); title.appendChild(dot); }
    title.appendChild(document.createTextNode(p.title));
    main.appendChild(title);
    main.appendChild(el('span', 'item-meta', metaLine(p, tab)));
    main.addEventListener('click', function () { select(p.id, 'list'); });
    main.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(p.id, 'list'); } });
    li.appendChild(cb);
    li.appendChild(main);
    li._paper = p;
    decorateItem(li, p, tab);
    return li;
  }
  var SORTS = {
    'similarity': function (a, b) { return (b.seed === true) - (a.seed === true) || (b.sim != null ? b.sim : b.count || 0) - (a.sim != null ? a.sim : a.count || 0); },
    'year-desc': function (a, b) { return (b.year || -1e9) - (a.year || -1e9); },
    'year-asc': function (a, b) { return (a.year || 1e9) - (b.year || 1e9); },
    'citations': function (a, b) { return (b.cites || 0) - (a.cites || 0); }
  };
  var shown = [], PAGE = 300;
  function renderList(keepLimit) {
    var tab = state.tab, list = $('list'), cache = items[tab];
    if (!keepLimit) state.limit = PAGE;
    var pos = new Map();
    rows[tab].forEach(function (p, i) { pos.set(p, i); });
    var cmp = SORTS[state.sort];
    var ps = rows[tab].filter(matches).sort(function (a, b) { return cmp(a, b) || pos.get(a) - pos.get(b); });
    var frag = document.createDocumentFragment();
    ps.slice(0, state.limit).forEach(function (p) {
      var li = cache.get(p.id);
      if (!li) { li = makeItem(p, tab); cache.set(p.id, li); }
      li.classList.toggle('selected', p.id === state.selected);
      li.firstChild.checked = state.checked.has(p.id);
      frag.appendChild(li);
    });
    if (ps.length > state.limit) {            // long lists render in pages: the page stays quick
      var more = el('li', 'more'), btn = el('button', null, 'Show ' + Math.min(PAGE, ps.length - state.limit) + ' more');
      btn.type = 'button';
      btn.addEventListener('click', function () { state.limit += PAGE; renderList(true); });
      more.appendChild(btn);
      frag.appendChild(more);
    }
    while (list.firstChild) list.removeChild(list.firstChild);
    list.appendChild(frag);
    shown = ps;
    var total = rows[tab].length;
    tabCounts();
    $('list-info').textContent = total === 0 ? 'No papers in this list.' :
      (ps.length === total ? total + ' papers' : ps.length + ' of ' + total + ' papers match');
    syncChecks();
  }
  var TAB_NAMES = { map: 'Map', prior: 'Prior works', derivative: 'Derivative works' };
  function addTab(tab, name, hint) {        // only a library map has these tabs
    var b = el('button', 'tab', name);
    b.type = 'button'; b.id = 'tab-' + tab; b.title = hint;
    b.setAttribute('role', 'tab'); b.setAttribute('data-tab', tab); b.setAttribute('aria-selected', 'false');
    $('tabs').appendChild(b);
    TAB_NAMES[tab] = name;
  }
  if (DATA.missing) addTab('missing', 'Missing', 'Papers most related to your library that are not in it');
  if (DATA.library) addTab('library', 'Your library', 'The papers of your library; those tied to nothing else are listed, not drawn');
  function tabCounts() {                    // a tab's count is the rows it shows
    Object.keys(TAB_NAMES).forEach(function (tab) {
      var total = rows[tab].length, n = rows[tab].filter(matches).length;
      $('tab-' + tab).textContent = TAB_NAMES[tab] + ' (' + (n === total ? total : n + ' of ' + total) + ')';
    });
  }
  function reveal(id) {                     // make sure a paper's row is rendered
    var i = shown.findIndex(function (p) { return p.id === id; });
    if (i >= state.limit) { state.limit = Math.ceil((i + 1) / PAGE) * PAGE; renderList(true); }
  }
  function syncChecks() {
    var n = 0;
    order.forEach(function (id) { if (state.checked.has(id) && BIB[id] !== undefined) n++; });
    var btn = $('btn-bib');
    btn.textContent = 'Download .bib (' + n + ')';
    btn.disabled = n === 0;
    var able = shown.filter(function (p) { return BIB[p.id] !== undefined; });
    var on = able.filter(function (p) { return state.checked.has(p.id); }).length;
    var all = $('check-all');
    all.checked = able.length > 0 && on === able.length;
    all.indeterminate = on > 0 && on < able.length;
    all.disabled = able.length === 0;
  }
  function bibText(ids) {
    var want = new Set(ids || Array.from(state.checked));
    return order.filter(function (id) { return want.has(id) && BIB[id] !== undefined; })
      .map(function (id) { return BIB[id]; }).join('\n');
  }
  function bibName() {                      // the map's own name: paper.v1.html -> paper.v1.bib
    var file = decodeURIComponent(location.pathname.split('/').pop() || '');
    var stem = /\.html?$/i.test(file) ? file.replace(/\.html?$/i, '') : (DATA.name || '');
    return (stem || 'litmap') + '.bib';
  }
  function download() {
    var text = bibText();
    if (!text) return;
    var url = URL.createObjectURL(new Blob([text], { type: 'application/x-bibtex;charset=utf-8' }));
    var a = document.createElement('a');
    a.href = url; a.download = bibName(); a.style.display = 'none';
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  // Scroll the side panel, never the page: scrollIntoView also scrolls the window, and in
  // the narrow layout (panel under the graph) that pushed the clicked graph out of view.
  function scrollPanelTo(li) {
    var panel = $('panel');
    if (panel.scrollHeight <= panel.clientHeight) return;    // the panel is not a scroller
    var top = li.getBoundingClientRect().top - panel.getBoundingClientRect().top + panel.scrollTop;
    if (top < panel.scrollTop) panel.scrollTop = top;
    else if (top + li.offsetHeight > panel.scrollTop + panel.clientHeight)
      panel.scrollTop = top + li.offsetHeight - panel.clientHeight;
  }

  // ---------------------------------------------------------------- views: clusters, timeline, linked lists
  // Colour by topic cluster or by year; a legend of labelled clusters (click: highlight the
  // cluster, filter the list); a timeline layout (x = date, y = log citations) whose positions
  // come precomputed (tx/ty), so switching only moves nodes; Prior/Derivative rows highlight
  // the map papers they are linked to.
  var CLUSTERS = DATA.clusters || [], AXES = DATA.timeline || null;
  var clusterById = new Map();
  CLUSTERS.forEach(function (c) { clusterById.set(c.id, c); });
  var sideClusters = new Map();               // side row -> Set of clusters of its linked papers
  PRIOR.concat(DERIV).forEach(function (p) {
    var set = new Set();
    (p.links || []).forEach(function (i) { if (NODES[i] && NODES[i].cluster != null) set.add(NODES[i].cluster); });
    sideClusters.set(p, set);
  });
  state.colorBy = CLUSTERS.length ? 'cluster' : 'year';
  function fill(n) {                          // runs before `state` exists, for the first paint
    var mode = state ? state.colorBy : (DATA.clusters && DATA.clusters.length ? 'cluster' : 'year');
    return mode === 'cluster' && n.ccolor ? n.ccolor : n.color;
  }
  function viewEdgeColor(e) { return state.view === 'timeline' ? 'rgba(92,107,122,0.09)' : e[4]; }
  function clusterName(c) { return c.label || 'Cluster ' + (c.id + 1); }
  function inCluster(p) {
    if (state.cluster == null) return true;
    if (byId.has(p.id)) return p.cluster === state.cluster;
    var set = sideClusters.get(p);
    return !!set && set.has(state.cluster);
  }
  function linkedPaper() {                    // the Prior/Derivative row pointed at, if any
    var p = state.hoverLink || (state.selected && !byId.has(state.selected) ? side.get(state.selected) : null);
    return p && p.links ? p : null;
  }
  var linkSetCache = new Map();
  function linkDim(n) {
    var p = linkedPaper();
    if (!p) return false;
    var set = linkSetCache.get(p);
    if (!set) { set = new Set(p.links.map(function (i) { return NODES[i].id; })); linkSetCache.set(p, set); }
    return !set.has(n.id);
  }
  function linkNote() {
    var p = linkedPaper(), note = $('link-note');
    if (!p) { note.hidden = true; return; }
    var k = p.links.length, papers = k === 1 ? ' paper' : ' papers';
    note.textContent = (PRIOR.indexOf(p) >= 0 ? 'Cited by ' + k + papers + ' in this map'
                                               : 'Cites ' + k + papers + ' in this map') + ': ' + p.title;
    note.hidden = false;
  }
  function refreshLinks() { applyGraphStyle(); linkNote(); }
  function decorateItem(li, p, tab) {
    var meta = li.querySelector('.item-meta');
    if (tab === 'map' && p.cluster != null && clusterById.has(p.cluster)) {
      var tag = el('span', 'cluster-tag', clusterName(clusterById.get(p.cluster)));
      tag.style.borderColor = p.ccolor;
      meta.appendChild(tag);
    }
    if (tab !== 'map' && p.links) {
      li.addEventListener('mouseenter', function () { state.hoverLink = p; refreshLinks(); });
      li.addEventListener('mouseleave', function () { if (state.hoverLink === p) { state.hoverLink = null; refreshLinks(); } });
      li.querySelector('.item-main').addEventListener('focus', function () { state.hoverLink = p; refreshLinks(); });
      li.querySelector('.item-main').addEventListener('blur', function () { if (state.hoverLink === p) { state.hoverLink = null; refreshLinks(); } });
    }
  }
  function showClusterDetails(p) {
    var box = $('d-cluster'), c = p && byId.has(p.id) && p.cluster != null ? clusterById.get(p.cluster) : null;
    box.textContent = '';
    box.hidden = !c;
    if (!c) return;
    var sw = el('span', 'swatch');
    sw.style.background = c.color;
    box.appendChild(sw);
    box.appendChild(document.createTextNode(' Cluster: ' + clusterName(c) + ' (' + c.size + ' papers)'));
  }
  function restyleAll() {
    restyle(NODES.map(function (n) { return [n, nodeDim.get(n.id) || false]; }),
            DATA.edges.map(function (e, k) { return [k, edgeDim.get(k) || false]; }));
  }
  function setColorBy(mode, first) {
    if (mode === 'cluster' && !CLUSTERS.length) mode = 'year';
    $('btn-color-cluster').setAttribute('aria-pressed', String(mode === 'cluster'));
    $('btn-color-year').setAttribute('aria-pressed', String(mode === 'year'));
    $('legend-years').hidden = mode !== 'year';
    $('legend-clusters').hidden = mode !== 'cluster';
    if (first || mode === state.colorBy) return;
    state.colorBy = mode;
    items.map = new Map();                    // list dots carry the colour
    restyleAll();
    renderList(true);
  }
  function selectCluster(id) {
    state.cluster = id == null || state.cluster === id ? null : id;
    Array.prototype.forEach.call(document.querySelectorAll('#cluster-list button'), function (b) {
      b.setAttribute('aria-pressed', String(Number(b.getAttribute('data-cluster')) === state.cluster));
    });
    $('cluster-note').textContent = state.cluster == null ? '' : 'Showing cluster: ' + clusterName(clusterById.get(state.cluster));
    $('cluster-note').hidden = state.cluster == null;
    renderList();
    applyGraphStyle();
  }
  function buildClusterLegend() {
    var list = $('cluster-list');
    CLUSTERS.forEach(function (c) {
      var li = el('li'), b = el('button', 'cluster-key');
      b.type = 'button';
      b.setAttribute('data-cluster', String(c.id));
      b.setAttribute('aria-pressed', 'false');
      b.title = 'Highlight this cluster and list only its papers';
      var sw = el('span', 'swatch');
      sw.style.background = c.color;
      b.appendChild(sw);
      var name = el('span', 'cluster-name', clusterName(c));
      name.title = clusterName(c);              // the legend cuts long labels
      b.appendChild(name);
      b.appendChild(el('span', 'cluster-size', String(c.size)));
      b.addEventListener('click', function () { selectCluster(c.id); });
      li.appendChild(b);
      list.appendChild(li);
    });
    $('btn-color-cluster').disabled = !CLUSTERS.length;
    if (!CLUSTERS.length) $('btn-color-cluster').title = 'This map has no topic clusters';
  }
  var bodyNodes = function () { return network.body && network.body.nodes; };
  function setView(view) {
    if (view === 'timeline' && !AXES) view = 'map';
    if (view === state.view) return;
    state.view = view;
    var body = bodyNodes(), tl = view === 'timeline';
    if ($('btn-physics').getAttribute('aria-pressed') === 'true') $('btn-physics').click();
    NODES.forEach(function (n) {
      var x = tl ? n.tx : n.x, y = tl ? n.ty : n.y, b = body && body[n.id];
      if (b) { b.x = x; b.y = y; } else network.moveNode(n.id, x, y);
    });
    $('btn-view-map').setAttribute('aria-pressed', String(!tl));
    $('btn-view-timeline').setAttribute('aria-pressed', String(tl));
    restyleAll();
    fit();
  }
  var tlBox = null;
  function drawAxes(ctx) {                    // timeline grid: years along x, citations up y
    if (state.view !== 'timeline' || !AXES || !AXES.years.length) return;
    if (!tlBox) {
      tlBox = { x0: Infinity, x1: -Infinity, y0: Infinity, y1: -Infinity };
      NODES.forEach(function (n) {
        tlBox.x0 = Math.min(tlBox.x0, n.tx); tlBox.x1 = Math.max(tlBox.x1, n.tx);
        tlBox.y0 = Math.min(tlBox.y0, n.ty); tlBox.y1 = Math.max(tlBox.y1, n.ty);
      });
    }
    var s = network.getScale(), fs = 12 / s, lo = AXES.years[0], hi = AXES.years[1];
    var step = [1, 2, 5, 10, 20, 50].find(function (k) { return k * AXES.px_per_year * s >= 48; }) || 100;
    var top = tlBox.y0 - 40, bottom = tlBox.y1 + 50;
    ctx.save();
    ctx.lineWidth = 1 / s;
    ctx.strokeStyle = 'rgba(92,107,122,0.16)';
    ctx.fillStyle = '#5b6775';
    ctx.font = fs + 'px system-ui, Arial, sans-serif';
    ctx.textAlign = 'center';
    for (var yr = Math.ceil(lo / step) * step; yr <= hi + 1; yr += step) {
      var x = (yr - AXES.year0) * AXES.px_per_year;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, bottom); ctx.stroke();
      ctx.fillText(String(yr), x, bottom + fs * 1.2);
    }
    ctx.textAlign = 'left';                   // inside the plot: fit() frames the nodes only
    var left = Math.min(tlBox.x0, NODES.some(function (n) { return n.year == null; }) ? AXES.undated_x : Infinity) - 30;
    [0, 10, 100, 1000, 10000, 100000].forEach(function (c) {
      var y = -(Math.log1p(c) - AXES.log0) * AXES.px_per_log;
      if (y < top - 1 || y > bottom) return;
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(tlBox.x1 + 30, y); ctx.stroke();
      ctx.fillText(fmt(c) + ' cites', left + 4 / s, y - 4 / s);
    });
    if (NODES.some(function (n) { return n.year == null; })) {
      ctx.textAlign = 'center';
      ctx.fillText('year unknown', AXES.undated_x, bottom + fs * 1.2);
    }
    ctx.restore();
  }
  network.on('beforeDrawing', drawAxes);
  buildClusterLegend();
  setColorBy(state.colorBy, true);
  $('btn-view-map').addEventListener('click', function () { setView('map'); });
  $('btn-view-timeline').addEventListener('click', function () { setView('timeline'); });
  $('btn-color-cluster').addEventListener('click', function () { setColorBy('cluster'); });
  $('btn-color-year').addEventListener('click', function () { setColorBy('year'); });
  API.views = { setView: setView, setColorBy: setColorBy, selectCluster: selectCluster,
                state: function () { return { view: state.view, colorBy: state.colorBy, cluster: state.cluster,
                                              linked: linkedPaper() ? linkedPaper().id : null }; } };

  // ---------------------------------------------------------------- selection
  function select(id, from) {
    var p = paper(id);
    state.selected = p ? id : null;
    showDetails(p);
    if (p && byId.has(id)) {
      network.selectNodes([id]);
      if (from === 'list') {          // bring the paper and its neighbours into view
        network.fit({ nodes: [id].concat(Array.from(adj.get(id))), animation: false });
        network.moveTo({ scale: Math.min(network.getScale() * 0.9, 1.2) });
        state.userMoved = true;
      }
      if (from === 'graph' && state.tab !== 'map') setTab('map');
    } else {
      network.unselectAll();
    }
    applyGraphStyle();
    linkNote();
    items[state.tab].forEach(function (li, key) { li.classList.toggle('selected', key === state.selected); });
    if (p && from === 'graph') {
      reveal(id);
      var li = items[state.tab].get(id);
      if (li && li.parentNode) scrollPanelTo(li);
    }
  }
  network.on('click', function (ev) {
    if (ev.nodes.length) select(ev.nodes[0], 'graph');
    else if (!ev.edges.length) select(null, 'graph');
  });

  // ---------------------------------------------------------------- controls
  function setTab(tab) {
    state.tab = tab;
    if (state.hoverLink) { state.hoverLink = null; applyGraphStyle(); }   // its row is gone
    // the details panel belongs to a row of one tab: it does not outlive that tab
    if (state.selected && !rows[tab].some(function (p) { return p.id === state.selected; })) {
      state.selected = null;
      showDetails(null);
      network.unselectAll();
      applyGraphStyle();
    }
    linkNote();
    Array.prototype.forEach.call(document.querySelectorAll('.tab'), function (b) {
      b.setAttribute('aria-selected', String(b.getAttribute('data-tab') === tab));
    });
    renderList();
  }
  Array.prototype.forEach.call(document.querySelectorAll('.tab'), function (b) {
    b.addEventListener('click', function () { setTab(b.getAttribute('data-tab')); });
  });
  var filterTimer = null;
  function onFilter() {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () {
      state.q = $('search').value.toLowerCase().split(/\s+/).filter(Boolean);
      var a = parseInt($('year-min').value, 10), b = parseInt($('year-max').value, 10);
      state.ymin = isNaN(a) ? null : a; state.ymax = isNaN(b) ? null : b;
      renderList();
      applyGraphStyle();
    }, BIG ? 150 : 0);
  }
  $('search').addEventListener('input', onFilter);
  $('year-min').addEventListener('input', onFilter);
  $('year-max').addEventListener('input', onFilter);
  $('only-new').addEventListener('change', function () { state.onlyNew = $('only-new').checked; renderList(); applyGraphStyle(); });
  $('sort').addEventListener('change', function () { state.sort = $('sort').value; renderList(); });
  $('check-all').addEventListener('change', function () {
    var on = $('check-all').checked;
    shown.forEach(function (p) { if (BIB[p.id] !== undefined) { if (on) state.checked.add(p.id); else state.checked.delete(p.id); } });
    renderList();
  });
  $('btn-bib').addEventListener('click', download);
  $('details-close').addEventListener('click', function () { select(null, 'list'); });
  $('btn-fit').addEventListener('click', fit);
  $('btn-zoom-in').addEventListener('click', function () { network.moveTo({ scale: network.getScale() * 1.3 }); state.userMoved = true; });
  $('btn-zoom-out').addEventListener('click', function () { network.moveTo({ scale: network.getScale() / 1.3 }); state.userMoved = true; });
  $('btn-physics').addEventListener('click', function () {
    var on = $('btn-physics').getAttribute('aria-pressed') !== 'true';
    network.setOptions({ physics: { enabled: on } });
    $('btn-physics').setAttribute('aria-pressed', String(on));
    $('btn-physics').textContent = 'Physics: ' + (on ? 'on' : 'off');
  });

  // ---------------------------------------------------------------- static text
  var seeds = NODES.filter(function (n) { return n.seed; });
  var heading = DATA.library ? 'Your library: ' + DATA.library.seeds + ' papers' :
    seeds.length === 1 ? seeds[0].title : seeds.length ? seeds.length + ' seed papers' : 'Literature map';
  $('map-title').textContent = heading;
  document.title = 'litmap: ' + heading;
  var sub = [NODES.length + ' papers', DATA.edges.length + ' similarity links'];
  if (DATA.considered != null) sub.push(fmt(DATA.considered) + ' papers considered');
  if (DATA.library) sub.push(seeds.length + ' of your papers drawn, ' + (NODES.length - seeds.length) + ' suggestions');
  if (DATA.since) sub.push('published after ' + DATA.since);
  if (DATA.changes) {
    sub.push(DATA.changes.new + ' new since ' + DATA.changes.since);
    $('new-filter-text').textContent = 'New since ' + DATA.changes.since + ' (' +
      NODES.filter(function (n) { return n.isNew; }).length + ')';
    $('new-filter').hidden = false;
  }
  $('map-sub').textContent = sub.join(' \u00b7 ');
  if (DATA.evidenceNote) {  // a seed with few citers: say what the map was built from
    $('map-note').textContent = 'Thin evidence \u2014 ' + DATA.evidenceNote + '.';
    $('map-note').hidden = false;
  }
  var L = DATA.legend;
  $('legend-min').textContent = L.min == null ? '' : String(L.min);
  $('legend-max').textContent = L.max == null ? '' : String(L.max);
  $('legend-bar').style.background = 'linear-gradient(to right, ' + L.stops.join(', ') + ')';
  if (YMIN != null) {
    $('year-min').value = String(YMIN); $('year-max').value = String(YMAX);
    $('year-min').min = $('year-max').min = String(YMIN); $('year-min').max = $('year-max').max = String(YMAX);
    state.ymin = YMIN; state.ymax = YMAX;
  }
  API.marks.fit = performance.now();
  renderList();
  API.marks.list = performance.now();

  API.network = network; API.nodes = visNodes; API.edges = visEdges; API.data = DATA;
  API.select = function (id) { select(id, 'list'); };
  API.bibText = bibText; API.bibName = bibName; API.checked = state.checked;
  API.isDimmed = function (id) { return nodeDim.get(id) || false; };
  // "drawn and interactive": the first frame drawn after all of the above has run
  API.readyAt = performance.now();
  network.once('afterDrawing', function () { API.firstDraw = performance.now(); });
  requestRedraw();
  API.ready = true;
})();
