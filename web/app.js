// gst-emo live page: one card per source (annotated video, state, faces now, emotion timeline
// per track, session windows newest first), fed by /api/sources and /api/events (Server-Sent
// Events carrying the MQTT messages with their "source"; "history" replays a frame a second
// of the last 5 minutes on connect). Text goes in with textContent only.
'use strict';

const TIMELINE_SECONDS = 300;  // the chart keeps the last 5 minutes
const cards = new Map();       // source name -> card state
const stats = { latencies: [], firstFrameMs: null, frames: 0 };
let labels = null;             // emotion labels, in the models' order (from the first scores)

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function stateText(s) {
  if (s.state === 'reconnecting' && s.attempt) return `reconnecting (${s.attempt} of ${s.retries})`;
  return s.state;
}

function card(name) {
  let c = cards.get(name);
  if (c) return c;
  document.getElementById('empty')?.remove();
  const root = el('section', 'source');
  root.dataset.source = name;
  const h = el('h2');
  const title = el('span', 'name', name);
  const badge = el('span', 'badge', '…');
  const fps = el('span', 'fps');
  const end = el('button', 'end', 'End');
  end.addEventListener('click', () => endSource(name));
  h.append(title, badge, fps, end);
  const uri = el('div', 'uri');
  const row = el('div', 'row');
  const img = el('img', 'video');
  img.alt = `annotated video of ${name}`;
  img.addEventListener('load', () => {
    root.dataset.video = `${img.naturalWidth}x${img.naturalHeight}`;
    if (stats.firstFrameMs === null) stats.firstFrameMs = Math.round(performance.now());
    publishStats();
  });
  img.src = `api/sources/${encodeURIComponent(name)}/video.mjpeg`;
  const faces = el('ul', 'faces');
  faces.append(el('li', 'none', 'no face'));
  const timeline = el('div', 'timeline');
  const side = el('div', 'side');
  side.append(faces, timeline);
  row.append(img, side);
  const windows = el('ul', 'windows');
  root.append(h, uri, row, el('h3', null, 'Session windows'), windows);
  document.getElementById('sources').append(root);
  c = { root, badge, fps, uri, img, faces, timeline, windows, chart: null, tracks: [],
        xs: [], ys: new Map(), dirty: false, windowItems: new Map() };
  cards.set(name, c);
  return c;
}

function showState(s) {
  const c = card(s.source || s.name);
  c.badge.textContent = stateText(s);
  c.badge.dataset.state = s.state;
  c.root.dataset.state = s.state;
  if (s.uri) c.uri.textContent = s.uri;
  if (s.fps !== undefined) c.fps.textContent = `${s.fps} fps`;
  if (s.state === 'finished' || s.state === 'failed') c.img.removeAttribute('src');
}

function showFaces(c, frame) {
  c.faces.replaceChildren();
  if (!frame.faces.length) {
    c.faces.append(el('li', 'none', 'no face'));
    return;
  }
  for (const f of frame.faces) {
    const li = el('li', 'face');
    const who = f['track-id'] !== undefined ? `person ${f['track-id']}` : `face ${f.id}`;
    li.append(el('span', 'who', `${who}: `));
    if (f.emotion) {
      const e = el('span', 'emotion', f.emotion.label);
      e.dataset.emotion = f.emotion.label;
      li.append(e, el('span', 'confidence', ` ${Math.round(f.emotion.confidence * 100)} %`));
    } else {
      li.append(el('span', 'pending', 'emotion not known yet'));
    }
    c.faces.append(li);
  }
}

// Timeline: one series per track, y = the emotion's index (stepped), x = wall-clock seconds.
function addToTimeline(c, frame) {
  const t = (frame['entry-time'] || Date.now()) / 1000;
  if (c.xs.length && t <= c.xs[c.xs.length - 1]) return;  // replayed twice after a reconnect
  c.xs.push(t);
  for (const ys of c.ys.values()) ys.push(null);
  for (const f of frame.faces) {
    if (!f.emotion || f['track-id'] === undefined) continue;
    if (!labels && f.emotion.scores) labels = Object.keys(f.emotion.scores);
    const k = String(f['track-id']);
    if (!c.ys.has(k)) c.ys.set(k, new Array(c.xs.length).fill(null));
    const i = labels ? labels.indexOf(f.emotion.label) : f.emotion['class-id'];
    c.ys.get(k)[c.xs.length - 1] = i;
  }
  let drop = 0;
  while (drop < c.xs.length && c.xs[drop] < t - TIMELINE_SECONDS) drop++;
  if (drop) {
    c.xs.splice(0, drop);
    for (const [k, ys] of c.ys) {
      ys.splice(0, drop);
      if (ys.every((v) => v === null)) c.ys.delete(k);
    }
  }
  c.dirty = true;
}

function drawTimeline(c) {
  if (!c.dirty || typeof uPlot === 'undefined') return;
  c.dirty = false;
  const tracks = [...c.ys.keys()];
  const data = [c.xs, ...tracks.map((k) => c.ys.get(k))];
  if (!c.chart || tracks.join() !== c.tracks.join()) {
    c.chart?.destroy();
    c.tracks = tracks;
    const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
    c.chart = new uPlot({
      width: 620, height: 170, title: 'Emotion per person, last 5 minutes',
      scales: { y: { range: [-0.5, (labels ? labels.length : 8) - 0.5] } },
      axes: [{}, { size: 80, splits: () => (labels || []).map((_, i) => i),
                   values: (u, vals) => vals.map((v) => (labels ? labels[v] : v)) }],
      series: [{}, ...tracks.map((k, i) => ({
        label: `person ${k}`, stroke: palette[i % palette.length], width: 2,
        paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } }))],
    }, data, c.timeline);
  } else {
    c.chart.setData(data);
  }
}

function windowItem(c, w) {
  const key = `${w.session}/${w.index}`;
  let item = c.windowItems.get(key);
  if (!item) {
    const li = el('li', 'window');
    li.dataset.index = w.index;
    const head = el('div', 'head');
    const meta = el('div', 'meta');
    const reading = el('p', 'reading');
    li.append(head, meta, reading);
    c.windows.prepend(li);  // newest first
    item = { li, head, meta, reading };
    c.windowItems.set(key, item);
  }
  const span = `${(w.start / 1e9).toFixed(1)}–${(w.end / 1e9).toFixed(1)} s`;
  item.head.textContent = `Window ${w.index}: ${span}, mostly ${w.dominant}`;
  const a = w.analysis || {};
  item.meta.textContent = `analysis: ${a.state || 'pending'}${a.detail ? ' (' + a.detail + ')' : ''}`;
  item.li.dataset.analysis = a.state || 'pending';
  item.reading.textContent = a.text || '';
}

function onFrame(frame) {
  const c = card(frame.source);
  showFaces(c, frame);
  addToTimeline(c, frame);
  stats.frames++;
  if (frame['entry-time']) {
    stats.latencies.push(Date.now() - frame['entry-time']);
    if (stats.latencies.length > 2000) stats.latencies.shift();
  }
}

function publishStats() {
  const l = [...stats.latencies].sort((a, b) => a - b);
  const p95 = l.length ? l[Math.min(l.length - 1, Math.floor(l.length * 0.95))] : null;
  document.getElementById('stats').textContent = JSON.stringify({
    firstFrameMs: stats.firstFrameMs, frameEvents: stats.frames, latencySamples: l.length,
    latencyP50: l.length ? l[Math.floor(l.length / 2)] : null, latencyP95: p95 });
}

function removeCard(name) {
  const c = cards.get(name);
  if (!c) return;
  c.img.removeAttribute('src');
  c.chart?.destroy();
  c.root.remove();
  cards.delete(name);
}

async function endSource(name) {
  const r = await fetch(`api/sources/${encodeURIComponent(name)}`, { method: 'DELETE' });
  if (!r.ok) document.getElementById('add-result').textContent = (await r.json()).error;
}

document.getElementById('add').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = document.getElementById('add-result');
  const uri = document.getElementById('add-uri').value.trim();
  const r = await fetch('api/sources', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                         body: JSON.stringify({ uri }) });
  const body = await r.json();
  out.textContent = r.ok ? `added ${body.name}` : body.error;
  if (r.ok) showState(body);
});

async function start() {
  const r = await fetch('api/sources');
  if (r.ok) for (const s of await r.json()) showState(s);
  const conn = document.getElementById('connection');
  const events = new EventSource('api/events');
  events.onopen = () => { conn.textContent = 'live'; conn.dataset.state = 'open'; };
  events.onerror = () => { conn.textContent = 'reconnecting'; conn.dataset.state = 'connecting'; };
  const on = (type, fn) => events.addEventListener(type, (e) => fn(JSON.parse(e.data)));
  on('state', showState);
  on('frame', onFrame);
  on('history', (f) => addToTimeline(card(f.source), f));  // past frames, on connect
  on('window', (w) => windowItem(card(w.source), w));
  on('analysis', (w) => windowItem(card(w.source), w));
  on('removed', (m) => removeCard(m.source));
  setInterval(() => { for (const c of cards.values()) drawTimeline(c); publishStats(); }, 1000);
  setInterval(async () => {  // fps and the rest of /api/sources, every few seconds
    const r = await fetch('api/sources');
    if (r.ok) for (const s of await r.json()) if (cards.has(s.name)) showState(s);
  }, 3000);
}

start();
