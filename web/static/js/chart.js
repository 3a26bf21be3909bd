// A small rolling line chart on a canvas, for live statistics.
// Usage: const c = new LiveChart(container, {title, unit, series: [{name, color}]});
//        c.push({name: value, ...});   // one sample per series, once per second
(function (global) {
  'use strict';
  function LiveChart(parent, opts) {
    this.opts = Object.assign({ points: 60, unit: '' }, opts);
    this.data = {};
    this.opts.series.forEach((s) => { this.data[s.name] = []; });
    const box = document.createElement('div');
    box.className = 'chart card';
    box.innerHTML = '<h3></h3><canvas></canvas><div class="legend"></div>';
    box.querySelector('h3').textContent = this.opts.title;
    const legend = box.querySelector('.legend');
    this.values = {};
    this.opts.series.forEach((s) => {
      const span = document.createElement('span');
      span.innerHTML = '<i></i><b></b> <em></em>';
      span.querySelector('i').style.background = s.color;
      span.querySelector('b').textContent = s.name;
      legend.appendChild(span);
      this.values[s.name] = span.querySelector('em');
    });
    parent.appendChild(box);
    this.canvas = box.querySelector('canvas');
  }
  LiveChart.prototype.push = function (sample) {
    this.opts.series.forEach((s) => {
      const v = sample[s.name];
      const arr = this.data[s.name];
      arr.push(typeof v === 'number' && isFinite(v) ? v : null);
      if (arr.length > this.opts.points) arr.shift();
      this.values[s.name].textContent = typeof v === 'number' && isFinite(v) ? format(v) + ' ' + this.opts.unit : '–';
    });
    this.draw();
  };
  function format(v) {
    if (Math.abs(v) >= 100) return Math.round(v).toString();
    if (Math.abs(v) >= 10) return v.toFixed(1);
    return v.toFixed(2);
  }
  LiveChart.prototype.draw = function () {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth || 300, h = c.clientHeight || 150;
    if (c.width !== w * dpr) { c.width = w * dpr; c.height = h * dpr; }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    let max = 0;
    Object.values(this.data).forEach((a) => a.forEach((v) => { if (v !== null && v > max) max = v; }));
    max = max > 0 ? max * 1.15 : 1;
    g.strokeStyle = '#e2e5ea'; g.fillStyle = '#6b7385'; g.font = '11px system-ui'; g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = 4 + (h - 20) * i / 4;
      g.beginPath(); g.moveTo(34, y); g.lineTo(w, y); g.stroke();
      g.fillText(format(max * (1 - i / 4)), 0, y + 4);
    }
    const n = this.opts.points, x0 = 36, xw = w - x0 - 2;
    this.opts.series.forEach((s) => {
      const a = this.data[s.name];
      g.strokeStyle = s.color; g.lineWidth = 2; g.beginPath();
      let started = false;
      a.forEach((v, i) => {
        if (v === null) { started = false; return; }
        const x = x0 + xw * (n - a.length + i) / (n - 1), y = 4 + (h - 20) * (1 - v / max);
        if (started) g.lineTo(x, y); else { g.moveTo(x, y); started = true; }
      });
      g.stroke();
    });
  };
  global.LiveChart = LiveChart;
})(window);
