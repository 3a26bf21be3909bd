// Draws a pipeline's elements and connections in SVG — the graph that
// getGstreamerDot describes in DOT, laid out here by hand (no Graphviz in
// the browser): elements in columns by their distance from the sources,
// connections as curves coloured by media type, dashed while no media flows.
(function (global) {
  'use strict';
  const NS = 'http://www.w3.org/2000/svg';
  const W = 210, H = 62, COL = 110, ROW = 34, PAD = 24;
  const COLOURS = { AUDIO: '#2e7d32', VIDEO: '#1565c0', DATA: '#8d6e63' };

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  function text(parent, x, y, s, cls) {
    const t = el('text', { x, y, class: cls || '' }, parent);
    t.textContent = s;
    return t;
  }

  // Rank of each element: the longest path from an element nothing feeds,
  // ignoring loops (a connection back to an element already on the path).
  function ranks(elements, links) {
    const out = new Map(elements.map((e) => [e.id, []]));
    const fed = new Set();
    for (const l of links) {
      if (l.source !== l.sink && out.has(l.source) && out.has(l.sink)) {
        out.get(l.source).push(l.sink);
        fed.add(l.sink);
      }
    }
    const rank = new Map();
    const visit = (id, r, path) => {
      if (path.has(id) || (rank.get(id) ?? -1) >= r) return;
      rank.set(id, r);
      path.add(id);
      for (const n of out.get(id)) visit(n, r + 1, path);
      path.delete(id);
    };
    for (const e of elements) if (!fed.has(e.id)) visit(e.id, 0, new Set());
    for (const e of elements) if (!rank.has(e.id)) visit(e.id, 0, new Set()); // only in cycles
    return rank;
  }

  // layout places the elements: columns by rank, rows ordered by the mean
  // row of the elements feeding them.
  function layout(elements, links) {
    const rank = ranks(elements, links);
    const cols = [];
    for (const e of elements) (cols[rank.get(e.id)] ||= []).push(e);
    const pos = new Map();
    cols.forEach((col, c) => {
      if (c > 0) {
        const mean = (e) => {
          const rows = links.filter((l) => l.sink === e.id && pos.has(l.source)).map((l) => pos.get(l.source).row);
          return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity;
        };
        col.sort((a, b) => mean(a) - mean(b));
      }
      col.forEach((e, r) => pos.set(e.id, { row: r, x: PAD + c * (W + COL), y: PAD + r * (H + ROW) }));
    });
    const rows = Math.max(1, ...cols.map((c) => c.length));
    return { pos, width: PAD * 2 + Math.max(1, cols.length) * (W + COL) - COL + 60, height: PAD * 2 + rows * (H + ROW) };
  }

  function shortID(id) {
    const tail = id.split('/').pop();
    return tail.split('_')[0].slice(0, 8);
  }

  // render draws pipeline p into svg; onSelect(id) is called when an
  // element is clicked, selected is the id drawn highlighted.
  function render(svg, p, selected, onSelect) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const { pos, width, height } = layout(p.elements, p.links);
    const loops = new Map();
    for (const l of p.links) if (l.source === l.sink) loops.set(l.source, (loops.get(l.source) || 0) + 1);
    const extra = loops.size ? 16 + 18 * Math.max(...loops.values()) : 0;
    svg.setAttribute('viewBox', `0 ${-extra} ${width} ${height + extra}`);
    svg.setAttribute('width', width);
    svg.setAttribute('height', height + extra);
    const defs = el('defs', {}, svg);
    for (const [type, colour] of Object.entries(COLOURS)) {
      const m = el('marker', { id: 'arrow-' + type, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' }, defs);
      el('path', { d: 'M0,0 L10,5 L0,10 z', fill: colour }, m);
    }
    // Connections between the same two elements are spread apart.
    const pairs = new Map();
    for (const l of p.links) {
      const k = l.source + '>' + l.sink;
      pairs.set(k, (pairs.get(k) || 0) + 1);
    }
    const seen = new Map();
    const labels = new Map(); // pair → {x, y, links}: one label per pair of elements
    const edges = el('g', { class: 'edges' }, svg);
    for (const l of p.links) {
      const a = pos.get(l.source), b = pos.get(l.sink);
      if (!a || !b) continue;
      const k = l.source + '>' + l.sink;
      const i = seen.get(k) || 0;
      seen.set(k, i + 1);
      const off = (i - (pairs.get(k) - 1) / 2) * 14;
      const colour = COLOURS[l.mediaType] || '#555';
      let d, lx, ly;
      if (l.source === l.sink) { // nested arcs above the element, one per media type
        const x1 = a.x + W * 0.7 + i * 12, x2 = a.x + W * 0.3 - i * 12, top = a.y - 20 - i * 24;
        d = `M${x1},${a.y} C${x1},${top} ${x2},${top} ${x2},${a.y}`;
        lx = (x1 + x2) / 2; ly = top + 15;
      } else if (b.x > a.x) {
        const x1 = a.x + W, y1 = a.y + H / 2 + off, x2 = b.x, y2 = b.y + H / 2 + off;
        d = `M${x1},${y1} C${x1 + COL / 2},${y1} ${x2 - COL / 2},${y2} ${x2},${y2}`;
        lx = (x1 + x2) / 2; ly = (y1 + y2) / 2 - 4;
      } else { // back to an earlier column (or the same one): around below
        const x1 = a.x + W / 2 + off, y1 = a.y + H, x2 = b.x + W / 2 + off, y2 = b.y + H, low = Math.max(y1, y2) + ROW - 6;
        d = `M${x1},${y1} C${x1},${low} ${x2},${low} ${x2},${y2}`;
        lx = (x1 + x2) / 2; ly = low - 4;
      }
      const g = el('g', { class: 'edge' + (l.flowing ? ' flowing' : '') }, edges);
      el('path', { d, stroke: colour, fill: 'none', 'stroke-width': 2, 'stroke-dasharray': l.flowing ? '' : '6 4', 'marker-end': `url(#arrow-${l.mediaType})` }, g);
      el('title', {}, g).textContent = `${l.mediaType} ${l.sourcePad || 'default'} → ${l.sinkPad || 'default'}${l.flowing ? ', flowing' : ', not flowing'}`;
      const lab = labels.get(k) || { x: 0, y: Infinity, links: [] };
      if (l.source === l.sink ? ly < lab.y : lab.links.length === 0 || i === Math.floor((pairs.get(k) - 1) / 2)) {
        lab.x = lx; lab.y = ly;
      }
      lab.links.push(l);
      labels.set(k, lab);
    }
    // Each pair's media types in one label: faded while not flowing.
    for (const lab of labels.values()) {
      const t = text(edges, lab.x, lab.y, '', 'edge-label');
      lab.links.forEach((l, i) => {
        const span = el('tspan', { fill: COLOURS[l.mediaType] || '#555', class: l.flowing ? 'flowing' : 'idle' }, t);
        span.textContent = (i ? ' ' : '') + l.mediaType.toLowerCase();
      });
    }
    const nodes = el('g', { class: 'nodes' }, svg);
    for (const e of p.elements) {
      const a = pos.get(e.id);
      const g = el('g', { class: 'node' + (e.id === selected ? ' selected' : ''), transform: `translate(${a.x},${a.y})`, 'data-id': e.id, tabindex: 0 }, nodes);
      el('rect', { width: W, height: H, rx: 7 }, g);
      text(g, 10, 20, e.class, 'node-class');
      text(g, 10, 37, e.name && e.name !== e.id ? e.name.slice(0, 28) : shortID(e.id), 'node-id');
      const st = e.state || {};
      const badge = st.ice || (Object.keys(st).some((k) => k.startsWith('flowIn') && st[k] === 'FLOWING') ? 'FLOWING' : '');
      if (badge) text(g, 10, 54, badge, 'node-state state-' + badge.toLowerCase());
      el('title', {}, g).textContent = e.id;
      g.addEventListener('click', () => onSelect(e.id));
      g.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') onSelect(e.id); });
    }
  }

  global.PipelineGraph = { render, layout };
})(window);
