// Gorento's admin console: polls the admin API (/admin/api/, see
// internal/app/admin.go) and draws what runs. Every string from the server
// (names are set by clients) goes into the page as text, never as HTML.
(function () {
  'use strict';
  const POLL_MS = 2000;
  const $ = (id) => document.getElementById(id);
  let token = new URLSearchParams(location.search).get('access_token') || sessionStorage.getItem('gorento-admin-token') || '';
  let selectedPipeline = null;
  let selectedElement = null;
  let previous = new Map(); // stream key → {bytes, at}, for bitrates
  let timer = null;

  // h builds an element: h('li', {class: 'x', onclick: f}, 'text', child…).
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  async function api(method, path) {
    const headers = token ? { Authorization: 'Bearer ' + token } : {};
    const resp = await fetch('/admin/api/' + path, { method, headers, cache: 'no-store' });
    const body = await resp.json().catch(() => ({}));
    if (resp.status === 401) {
      showLogin();
      throw new Error(body.error || 'an admin token is required');
    }
    if (!resp.ok) throw new Error(body.error || method + ' ' + path + ': HTTP ' + resp.status);
    return body;
  }

  function showError(err) { $('error').textContent = err ? String(err.message || err) : ''; }

  function showLogin() {
    $('login').hidden = false;
    $('console').hidden = true;
    clearTimeout(timer);
  }

  $('login').addEventListener('submit', (ev) => {
    ev.preventDefault();
    token = $('token').value.trim();
    sessionStorage.setItem('gorento-admin-token', token);
    $('login').hidden = true;
    poll();
  });

  function short(id) { return id.split('/').pop().split('_')[0].slice(0, 8); }
  function age(t) {
    const s = Math.max(0, Math.round((Date.now() - new Date(t)) / 1000));
    return s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h';
  }
  function kbps(key, bytes) {
    const now = Date.now(), prev = previous.get(key);
    previous.set(key, { bytes, at: now });
    if (!prev || now <= prev.at || bytes < prev.bytes) return '';
    return Math.round((bytes - prev.bytes) * 8 / (now - prev.at)) + ' kbps';
  }

  async function act(what, method, path) {
    if (!confirm(what + '?')) return;
    try {
      await api(method, path);
      showError(null);
    } catch (err) { showError(err); }
    poll();
  }

  function renderPipelines(list) {
    $('pipeline-count').textContent = '(' + list.length + ')';
    const ul = $('pipelines');
    ul.replaceChildren(...list.map((p) => h('li', {
      class: p.id === selectedPipeline ? 'selected' : null, 'data-id': p.id,
      onclick: () => { selectedPipeline = p.id; selectedElement = null; poll(); },
    }, h('strong', {}, p.name && p.name !== p.id ? p.name : short(p.id)), ' ',
    h('span', { class: 'muted' }, p.elements.length + ' elements, ' + p.links.length + ' connections, ' + age(p.created) +
      (p.credential ? ', credential ' + p.credential : '') + ', ' + p.sessions.length + ' session(s)'))));
    if (!list.length) ul.append(h('li', { class: 'muted' }, 'No pipeline.'));
  }

  function renderElement(e) {
    const box = $('element');
    if (!e) {
      box.replaceChildren(h('h3', {}, 'Element'), h('p', { class: 'muted' }, 'Select an element in the graph.'));
      return;
    }
    const state = h('table', { class: 'stats' }, ...Object.entries(e.state).sort().map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, v))));
    const parts = [h('h3', {}, e.class + ' ' + short(e.id)), h('p', { class: 'muted id' }, e.id), state];
    if (e.streams && e.streams.length) {
      parts.push(h('table', { class: 'stats streams' },
        h('tr', {}, ...['stream', 'packets', 'bitrate', 'lost', 'jitter', 'rtt', 'nack/pli/fir'].map((c) => h('th', {}, c))),
        ...e.streams.map((s) => h('tr', {},
          h('td', {}, s.kind + ' ' + s.direction),
          h('td', {}, s.packets),
          h('td', {}, kbps(e.id + s.kind + s.direction + s.ssrc, s.bytes)),
          h('td', {}, s.lost),
          h('td', {}, s.direction === 'in' ? (s.jitterSeconds * 1000).toFixed(1) + ' ms' : ''),
          h('td', {}, s.rttSeconds ? (s.rttSeconds * 1000).toFixed(1) + ' ms' : ''),
          h('td', {}, s.nack + '/' + s.pli + '/' + s.fir)))));
    }
    box.replaceChildren(...parts);
  }

  function renderEvents(events) {
    const shown = events.filter((e) => !selectedElement || e.object === selectedElement).slice(-40).reverse();
    $('events').replaceChildren(...shown.map((e) => h('li', {},
      h('span', { class: 'muted' }, new Date(e.time).toLocaleTimeString()), ' ', h('strong', {}, e.type), ' ',
      h('span', { class: 'muted' }, short(e.object)), ' ', h('code', {}, summarize(e.data)))));
    if (!shown.length) $('events').append(h('li', { class: 'muted' }, 'No event yet.'));
  }

  function summarize(data) {
    const skip = new Set(['source', 'tags', 'timestampMillis', 'timestamp', 'type']);
    const show = (v) => typeof v === 'object' ? JSON.stringify(v) : typeof v === 'string' && v.includes('_kurento.') ? short(v) : v;
    return Object.entries(data || {}).filter(([k]) => !skip.has(k)).map(([k, v]) => k + '=' + show(v)).join(' ').slice(0, 160);
  }

  async function renderSelected(pipelines) {
    const section = $('pipeline');
    const p = pipelines.find((x) => x.id === selectedPipeline);
    if (!p) {
      selectedPipeline = null;
      section.hidden = true;
      return;
    }
    section.hidden = false;
    section.dataset.id = p.id;
    $('pipeline-title').textContent = 'Pipeline ' + (p.name && p.name !== p.id ? p.name : short(p.id));
    PipelineGraph.render($('graph'), p, selectedElement, (id) => { selectedElement = id; poll(); });
    renderElement(p.elements.find((e) => e.id === selectedElement));
    const detail = await api('GET', 'pipelines/' + encodeURIComponent(p.id));
    renderEvents(detail.events || []);
    $('dot').onclick = () => {
      const a = h('a', { href: URL.createObjectURL(new Blob([detail.dot], { type: 'text/vnd.graphviz' })), download: short(p.id) + '.dot' });
      a.click();
    };
    $('release').onclick = () => act('Release pipeline ' + short(p.id) + ' and everything in it', 'DELETE', 'pipelines/' + encodeURIComponent(p.id));
  }

  function renderRooms(rooms) {
    $('room-count').textContent = '(' + rooms.length + ')';
    $('rooms').replaceChildren(...rooms.map((r) => h('li', { 'data-room': r.name },
      h('div', { class: 'toolbar' }, h('strong', {}, r.name),
        h('span', { class: 'muted' }, r.participants.length + ' participant(s)' + (r.usable ? '' : ', media server unreachable')),
        h('button', { class: 'danger', onclick: () => act('Close room ' + r.name, 'DELETE', 'rooms/' + encodeURIComponent(r.name)) }, 'Close room')),
      h('ul', { class: 'participants' }, ...r.participants.map((u) => h('li', { 'data-user': u }, u,
        r.publishers.includes(u) ? h('span', { class: 'muted' }, ' publishing') : null, ' ',
        h('button', { onclick: () => act('Evict ' + u + ' from ' + r.name, 'DELETE', 'rooms/' + encodeURIComponent(r.name) + '/participants/' + encodeURIComponent(u)) }, 'Kick')))))));
    if (!rooms.length) $('rooms').append(h('li', { class: 'muted' }, 'No room.'));
  }

  function renderSessions(sessions) {
    $('session-count').textContent = '(' + sessions.length + ')';
    $('sessions').tBodies[0].replaceChildren(...sessions.sort((a, b) => a.id < b.id ? -1 : 1).map((s) => h('tr', {},
      h('td', { title: s.id }, short(s.id)), h('td', {}, s.credential || '—'), h('td', {}, s.connected ? 'connected' : 'waiting'), h('td', {}, s.objects))));
  }

  async function poll() {
    clearTimeout(timer);
    try {
      const o = await api('GET', 'overview');
      $('login').hidden = true;
      $('console').hidden = false;
      $('server').textContent = 'version ' + o.version + ', up ' + age(o.started) + (o.devMode ? ' — development mode' : '');
      renderPipelines(o.pipelines);
      await renderSelected(o.pipelines);
      renderRooms(o.rooms);
      renderSessions(o.sessions);
      showError(null);
      document.body.dataset.ready = 'true';
    } catch (err) {
      showError(err);
      if (!$('login').hidden) return;
    }
    timer = setTimeout(poll, POLL_MS);
  }

  poll();
})();
