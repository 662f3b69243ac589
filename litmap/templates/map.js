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
  // entries of the library that did not resolve, with why: a row of their own, or the map
  // paper one of them names (found by title or id: never suggested as missing)
  (DATA.library ? DATA.library.unresolved || [] : []).forEach(function (u, i) {
    var where = u.line != null ? 'line ' + u.line + ': ' : '';
    var p = u.inMap ? byId.get(u.inMap) : null;
    if (p) { p.libNote = 'your entry ' + where + u.label + ' (same ' + u.by + '); it did not resolve: ' + u.reason; LIB.push(p); }
    else LIB.push({ id: 'entry:' + i, entry: true, title: u.label, authors: [], year: null,
                    libNote: where + 'not resolved: ' + u.reason });
  });
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
      border: n.seed ? (dim ? rgba(SEED_BORDER, 0.3) : SEED_BORDER) : (dim ? 'rgba(85,96,108,0.18)' : BORDER),
      // the timeline draws its own labels (drawLabels): vis's are kept, unseen, for hit tests
      font: state && state.view === 'timeline' ? 'rgba(0,0,0,0)' : dim ? 'rgba(29,36,48,0.2)' : INK,
      stroke: state && state.view === 'timeline' ? 'rgba(0,0,0,0)' : dim ? 'rgba(255,255,255,0.2)' : '#ffffff'
    };
  }
  function edgeColor(e, dim) { return dim ? 'rgba(92,107,122,0.04)' : viewEdgeColor(e); }
  API.marks.parsed = performance.now();
  var visNodes = new vis.DataSet(NODES.map(function (n) {
    var c = nodeColors(n, false);
    var o = { id: n.id, x: n.x, y: n.y, label: n.label, size: n.size, title: tooltip(n),
              color: { background: c.bg, border: c.border } };
    if (n.seed) { o.shape = 'diamond'; o.borderWidth = 4; }
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
  // ---------------------------------------------------------------- framing, legend, tooltips
  // fit() frames the papers in the part of the graph that the toolbar and the legend leave
  // free: below the toolbar, and beside or above the legend unless no paper would fall under it.
  function overlays() {
    var g = $('graph').getBoundingClientRect(), top = 0, leg = $('legend').getBoundingClientRect();
    Array.prototype.forEach.call($('toolbar').children, function (c) {
      var r = c.getBoundingClientRect();
      if (r.height) top = Math.max(top, r.bottom - g.top);
    });
    return { w: g.width, h: g.height, top: top,
             legend: leg.width ? { l: leg.left - g.left, t: leg.top - g.top, r: leg.right - g.left, b: leg.bottom - g.top } : null };
  }
  function frameBoxes() {                     // canvas boxes of what fit() frames, and DOM-px paddings
    var body = bodyNodes(), tl = state.view === 'timeline', out = [];
    NODES.forEach(function (n) {
      var b = body && body[n.id], x = b ? b.x : tl ? n.tx : n.x, y = b ? b.y : tl ? n.ty : n.y, r = n.size;
      if (tl) out.push([x - r, y - r, x + r, y + r]);   // labels there have a fixed screen size: pads
      else {                                  // the label as vis measured it, once drawn
        var sz = b && b.labelModule && b.labelModule.size, lw = sz && sz.width ? sz.width : n.label.length * 8.4 + 6;
        var hw = Math.max(r, lw / 2 + 2), lh = sz && sz.height ? sz.height : 14 * 1.3;
        out.push([x - hw, y - r, x + hw, y + r + 6 + lh]);
      }
    });
    if (tl && tlBox0()) { var t = tlBox0(); out.push([t.x0 - 30, t.y0 - 40, t.x1 + 30, t.y1 + 50]); }
    return { boxes: out, pad: tl ? { l: 8, r: 60, t: 8, b: 30 } : { l: 4, r: 4, t: 4, b: 4 } };
  }
  function fit() {
    var fb = frameBoxes(), o = overlays(), m = 8;
    if (!fb.boxes.length || o.w < 40 || o.h < 40) { network.fit({ animation: false }); state.userMoved = false; return; }
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    fb.boxes.forEach(function (b) { x0 = Math.min(x0, b[0]); y0 = Math.min(y0, b[1]); x1 = Math.max(x1, b[2]); y1 = Math.max(y1, b[3]); });
    var bw = Math.max(x1 - x0, 1), bh = Math.max(y1 - y0, 1), P = fb.pad;
    function frame(l, t, r, b) {              // scale and offset that put the boxes inside (l,t)-(r,b)
      var s = Math.min((r - l - P.l - P.r) / bw, (b - t - P.t - P.b) / bh, 1.6);
      if (!(s > 0)) return null;
      var cx = (l + P.l + r - P.r) / 2, cy = (t + P.t + b - P.b) / 2;
      return { s: s, dx: cx - o.w / 2, dy: cy - o.h / 2, cx: cx, cy: cy };
    }
    function clear(f) {                       // no paper (disc + label) under the legend
      var L = o.legend;
      if (!L) return true;
      return fb.boxes.every(function (b) {
        var l = f.cx + (b[0] - (x0 + x1) / 2) * f.s - (state.view === 'timeline' ? 60 : 0), r = f.cx + (b[2] - (x0 + x1) / 2) * f.s + (state.view === 'timeline' ? 60 : 0);
        var t = f.cy + (b[1] - (y0 + y1) / 2) * f.s, bt = f.cy + (b[3] - (y0 + y1) / 2) * f.s + (state.view === 'timeline' ? 20 : 0);
        return r <= L.l || l >= L.r || bt <= L.t || t >= L.b;
      });
    }
    var top = o.top + 4, L = o.legend, best = null;
    var cands = [frame(m, top, o.w - m, o.h - m)];
    if (L) cands.push(frame(m, top, o.w - m, L.t - 4), frame(L.r + 4, top, o.w - m, o.h - m));
    cands.forEach(function (f, k) {
      if (f && (k > 0 || clear(f)) && (!best || f.s > best.s)) best = f;
    });
    if (!best) best = cands.filter(Boolean)[0] || { s: 1, dx: 0, dy: 0 };
    network.moveTo({ position: { x: (x0 + x1) / 2, y: (y0 + y1) / 2 }, scale: best.s,
                     offset: { x: best.dx, y: best.dy }, animation: false });
    state.userMoved = false;
  }
  function setLegend(open) {
    $('legend-toggle').setAttribute('aria-expanded', String(open));
    $('legend-body').hidden = !open;
    $('legend').classList.toggle('folded', !open);
  }
  // a phone starts with the legend folded: open, it would take a third of the map
  setLegend(!(window.matchMedia && window.matchMedia('(max-width: 600px)').matches));
  $('legend-toggle').addEventListener('click', function () {
    setLegend($('legend-toggle').getAttribute('aria-expanded') !== 'true');
    if (!state.userMoved) fit();
  });
  fit();
  network.on('zoom', function () { state.userMoved = true; });
  network.on('dragEnd', function () { state.userMoved = true; });
  // vis hides a tooltip only on a later move over the canvas: one left pending or shown when the
  // pointer leaves (or after a tap, which has no leave) would stay on the map
  function hideTip() {
    var ih = network.interactionHandler;
    if (!ih) return;
    if (ih.popupTimer !== undefined) { clearTimeout(ih.popupTimer); ih.popupTimer = undefined; }
    if (ih.popup && !ih.popup.hidden) ih.popup.hide();
    ih.popupObj = undefined;
  }
  $('graph').addEventListener('pointerleave', hideTip);
  $('graph').addEventListener('pointerdown', function (ev) { $('graph').classList.toggle('touch', ev.pointerType === 'touch'); });
  $('graph').addEventListener('pointermove', function (ev) { if (ev.pointerType === 'mouse') $('graph').classList.remove('touch'); });
  // When the graph's box changes size (a phone's address bar or keyboard, a rotation, the page
  // growing a scroll bar as details open), vis scales the view with it: a zoom the reader chose
  // would shrink.  Keep the reader's zoom; reframe a view the reader has not moved.
  var drawnScale = null;
  network.on('afterDrawing', function () { drawnScale = network.getScale(); });
  network.on('resize', function () {        // vis rescales right after this event: act after it
    var keep = drawnScale;
    if (keep == null) return;
    Promise.resolve().then(function () {
      if (state.userMoved) network.moveTo({ scale: keep, animation: false });
      else fit();
    });
  });
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { tabCounts(); if (!state.userMoved) fit(); }, 120);
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
    if (p.entry) return p.libNote;           // a library entry that names no paper
    var parts = [shortAuthors(p), p.year == null ? 'n.d.' : String(p.year), fmt(p.cites) + ' cites'];
    if (tab === 'map' && !p.seed && p.sim != null) parts.push('sim ' + p.sim.toFixed(2));
    if (tab === 'prior') parts.push('cited by ' + fmt(p.count) + ' in map');
    if (tab === 'derivative') parts.push('cites ' + fmt(p.count) + ' in map');
    if (tab === 'missing' && p.why) parts.push(p.why);
    if (tab === 'library' && p.unlinked) parts.push('tied to nothing else in the map: not drawn');
    if (tab === 'library' && p.libNote) parts.push(p.libNote);
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
    if (p.entry) { li.className = 'unresolved'; main.tabIndex = -1; }
    else {
      main.addEventListener('click', function () { select(p.id, 'list'); });
      main.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(p.id, 'list'); } });
    }
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
  if (DATA.library) addTab('library', 'Your library', 'The entries of your library: papers tied to nothing else are listed, not drawn; entries that did not resolve say why');
  var SHORT_NAMES = { prior: 'Prior', derivative: 'Derivative', library: 'Library' };
  function tabCounts() {                    // a tab's count is the rows it shows
    // The tabs keep one row: full names where they fit, else short ones, else without "of N"
    // (a screen reader always gets the full text).
    var tabs = Object.keys(TAB_NAMES), bs = $('tabs').children;
    [0, 1, 2].some(function (level) {
      $('tabs').classList.toggle('compact', level > 0);
      tabs.forEach(function (tab) {
        var total = rows[tab].length, n = rows[tab].filter(matches).length, b = $('tab-' + tab);
        var count = n === total ? String(total) : n + ' of ' + total;
        b.textContent = (level ? SHORT_NAMES[tab] || TAB_NAMES[tab] : TAB_NAMES[tab]) +
          ' (' + (level === 2 ? String(n) : count) + ')';
        b.setAttribute('aria-label', TAB_NAMES[tab] + ' (' + count + ')');
      });
      return bs[0].offsetTop === bs[bs.length - 1].offsetTop;
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
  function bodyNodes() { return network.body && network.body.nodes; }
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
    // vis skips a node whose box (still at its old place) is out of view, and updates that box
    // as it does: a second frame draws every moved node
    network.once('afterDrawing', requestRedraw);
  }
  var tlBox = null;
  function tlBox0() {                         // the timeline's extent (canvas units), once
    if (!tlBox && NODES.length && DATA.timeline) {
      tlBox = { x0: Infinity, x1: -Infinity, y0: Infinity, y1: -Infinity };
      NODES.forEach(function (n) {
        tlBox.x0 = Math.min(tlBox.x0, n.tx); tlBox.x1 = Math.max(tlBox.x1, n.tx);
        tlBox.y0 = Math.min(tlBox.y0, n.ty); tlBox.y1 = Math.max(tlBox.y1, n.ty);
      });
    }
    return tlBox;
  }
  function drawAxes(ctx) {                    // timeline grid: years along x, citations up y
    if (state.view !== 'timeline' || !AXES || !AXES.years.length) return;
    tlBox0();
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
  // NEW papers: a ring of their own colour set off from the disc by a white gap, so that it
  // shows on every cluster and year colour (a border in one colour vanishes on a like fill)
  function drawRings(ctx) {
    var s = network.getScale(), body = bodyNodes(), gap = 2 / s, w = 3 / s;
    NODES.forEach(function (n) {
      var b = n.isNew && body && body[n.id];
      if (!b) return;
      var dim = nodeDim.get(n.id) || false, r = n.size + 0.5 / s;
      ctx.beginPath(); ctx.arc(b.x, b.y, r + gap / 2, 0, 2 * Math.PI);
      ctx.lineWidth = gap; ctx.strokeStyle = dim ? 'rgba(255,255,255,0.3)' : '#ffffff'; ctx.stroke();
      ctx.beginPath(); ctx.arc(b.x, b.y, r + gap + w / 2, 0, 2 * Math.PI);
      ctx.lineWidth = w; ctx.strokeStyle = dim ? rgba(NEW_BORDER, 0.3) : NEW_BORDER; ctx.stroke();
    });
  }
  // Timeline labels keep one readable screen size at every zoom; a label that would overlap
  // another label or a paper is left out (its paper keeps its tooltip), the seed's, the
  // selected paper's and the best-ranked papers' first, so zooming in brings the rest.
  var LABEL_PX = 12, placed = [];
  function drawLabels(ctx) {
    placed = [];
    var body = bodyNodes();
    if (state.view !== 'timeline' || !body) return;
    var s = network.getScale(), fs = LABEL_PX / s, g = $('graph');
    var v0 = network.DOMtoCanvas({ x: 0, y: 0 }), v1 = network.DOMtoCanvas({ x: g.clientWidth, y: g.clientHeight });
    var cell = 80 / s, grid = new Map();
    function cells(bx, fn) {
      for (var i = Math.floor(bx[0] / cell); i <= Math.floor(bx[2] / cell); i++)
        for (var j = Math.floor(bx[1] / cell); j <= Math.floor(bx[3] / cell); j++) fn(i + ',' + j);
    }
    function add(bx) { cells(bx, function (k) { if (!grid.has(k)) grid.set(k, []); grid.get(k).push(bx); }); }
    function free(bx, id) {
      var ok = true;
      cells(bx, function (k) {
        (grid.get(k) || []).forEach(function (o) {
          if (o[4] !== id && o[0] < bx[2] && bx[0] < o[2] && o[1] < bx[3] && bx[1] < o[3]) ok = false;
        });
      });
      return ok;
    }
    var shown = NODES.filter(function (n) {
      var b = body[n.id], r = n.size;
      if (!b || b.x + r < v0.x || b.x - r > v1.x || b.y + r < v0.y || b.y - r > v1.y) return false;
      add([b.x - r, b.y - r, b.x + r, b.y + r, n.id]);
      return true;
    });
    var rank = function (n) { return n.id === state.selected ? 0 : n.seed ? 1 : nodeDim.get(n.id) ? 3 : 2; };
    shown = shown.map(function (n, i) { return [rank(n), i, n]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; }).map(function (t) { return t[2]; });
    ctx.save();
    ctx.font = fs + 'px system-ui, Arial, sans-serif';
    ctx.textAlign = 'center'; ctx.textBaseline = 'top'; ctx.lineJoin = 'round'; ctx.lineWidth = 3 / s;
    shown.forEach(function (n) {
      var b = body[n.id], w = ctx.measureText(n.label).width + 2 / s, h = fs * 1.2, r = n.size + 2 / s;
      // below the paper, else right, left or above it: the first place that is free
      var bx = [[b.x - w / 2, b.y + r], [b.x + r, b.y - h / 2], [b.x - r - w, b.y - h / 2], [b.x - w / 2, b.y - r - h]]
        .map(function (c) { return [c[0], c[1], c[0] + w, c[1] + h, n.id]; })
        .find(function (c) { return c[0] >= v0.x && c[2] <= v1.x && c[1] >= v0.y && c[3] <= v1.y && free(c, n.id); });
      if (!bx) return;
      var dim = nodeDim.get(n.id) || false, x = (bx[0] + bx[2]) / 2, y = bx[1] + 0.1 * fs;
      ctx.strokeStyle = dim ? 'rgba(255,255,255,0.2)' : '#ffffff'; ctx.strokeText(n.label, x, y);
      ctx.fillStyle = dim ? 'rgba(29,36,48,0.2)' : INK; ctx.fillText(n.label, x, y);
      add(bx);
      placed.push({ id: n.id, text: n.label, box: bx });
    });
    ctx.restore();
  }
  network.on('afterDrawing', function (ctx) { drawRings(ctx); drawLabels(ctx); });
  function drawnLabels() {                  // the timeline's labels as drawn last, in page pixels
    var s = network.getScale(), g = $('graph').getBoundingClientRect();
    return placed.map(function (p) {
      var a = network.canvasToDOM({ x: p.box[0], y: p.box[1] }), z = network.canvasToDOM({ x: p.box[2], y: p.box[3] });
      return { id: p.id, text: p.text, px: LABEL_PX, scale: s,
               left: a.x + g.left, top: a.y + g.top, right: z.x + g.left, bottom: z.y + g.top };
    });
  }
  buildClusterLegend();
  setColorBy(state.colorBy, true);
  $('btn-view-map').addEventListener('click', function () { setView('map'); });
  $('btn-view-timeline').addEventListener('click', function () { setView('timeline'); });
  $('btn-color-cluster').addEventListener('click', function () { setColorBy('cluster'); });
  $('btn-color-year').addEventListener('click', function () { setColorBy('year'); });
  API.views = { setView: setView, setColorBy: setColorBy, selectCluster: selectCluster, labels: drawnLabels,
                setLegend: setLegend,
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
  if (DATA.since) {
    var leftOut = DATA.since_left_out;
    sub.push('published since ' + DATA.since + (leftOut ? ' (' + leftOut.n + ' of the ' + leftOut.of +
      ' most related papers are older and left out)' : ''));
  }
  if (DATA.changes) {
    sub.push(DATA.changes.new + ' new since ' + DATA.changes.since);
    $('new-filter-text').textContent = 'New since ' + DATA.changes.since + ' (' +
      NODES.filter(function (n) { return n.isNew; }).length + ')';
    $('new-filter').hidden = false;
  }
  $('map-sub').textContent = sub.join(' \u00b7 ');
  $('legend-new').hidden = !NODES.some(function (n) { return n.isNew; });
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
  fit();                                      // the legend and the list now have their size
  network.once('afterDrawing', function () { if (!state.userMoved) fit(); });   // and labels theirs
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
