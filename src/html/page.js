/* page.js: selfattn's interactive page (-f html).  Reads the results the
   page embeds (<script type="application/json" class="selfattn-data">, the
   documents of -f json, one per layer) and draws four views of them: the
   head view (queries to keys as lines, one colour per head), the matrix
   view (a heat map per head), the model view (every layer x head) and the
   steps view (Q, K, V, scores, softmax, the heads' outputs when the result
   has them, and how one weight came about).
   Hand-written, no build step and no library; built into the binary
   (src/html_assets.c).  Token text only ever goes into the page as text
   (textContent, canvas fillText), never as HTML.
   Legend: L = layers, H = heads, n = queries, m = keys, dh = head width. */
(function () {
  'use strict';

  // ---- small helpers -------------------------------------------------------

  /* A new element: attrs as attributes (and "text" as its text), children
     appended (strings as text). */
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }
  function range(k) { var r = []; for (var i = 0; i < k; i++) r.push(i); return r; }
  function depth(a) { var d = 0; while (Array.isArray(a)) { d++; a = a[0]; } return d; }
  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  /* The exact value as JSON has it: the shortest text of the float. */
  function exact(v) { return v === null || v === undefined ? 'masked' : String(v); }
  /* 4 significant digits, for the intermediate numbers of the steps view. */
  function short(v) {
    if (!isFinite(v)) return v > 0 ? '\u221e' : v < 0 ? '\u2212\u221e' : 'NaN';
    var t = Number(v.toPrecision(4));
    return (t === 0 ? 0 : t).toString().replace('-', '\u2212');
  }
  /* 3 significant digits, as the SVG's legend. */
  function sig3(v) { var t = Number(v.toPrecision(3)); return String(t === 0 ? 0 : t); }
  /* A label cut to 14 characters, as in the SVG. */
  function cut(s) { var a = Array.from(s); return a.length > 14 ? a.slice(0, 14).join('') + '\u2026' : s; }
  function times() { return ' \u00d7 '; }

  // ---- the data ------------------------------------------------------------

  var settings = JSON.parse(document.getElementById('selfattn-page').textContent);
  var masks = {};
  document.querySelectorAll('script.selfattn-mask').forEach(function (s) {
    masks[s.getAttribute('data-layer')] = JSON.parse(s.textContent);
  });

  /* One result as the views use it: its heads' n x m matrices (the
     weights, or the softmax step, or the average alone), their ids (the
     head's index from 0 as in the JSON, or "average"), tokens and steps. */
  function makeLayer(doc, index) {
    var c = doc.config || {};
    var n = c.n, m = c.m || c.n;
    var perHead = depth(doc.weights) === 3 ? doc.weights : null;
    var average = doc.average_weights || (depth(doc.weights) === 2 ? doc.weights : null);
    var steps = doc.steps && depth(doc.steps.softmax) === 3 ? doc.steps : null;
    var mats = perHead || (steps && steps.softmax) || (average ? [average] : []);
    var first = c.head ? c.head - 1 : 0;
    var ids = mats.map(function (_, k) { return perHead || steps ? String(first + k) : 'average'; });
    var name = settings.names && settings.names[index];
    var title = (c.layer !== null && c.layer !== undefined ? 'layer ' + c.layer : '') +
                (name ? (c.layer !== null && c.layer !== undefined ? ' (' + name + ')' : name) : '');
    return {
      index: index, title: title || 'result ' + (index + 1), config: c, n: n, m: m,
      tokens: doc.tokens || range(n).map(String),
      keys: doc.key_tokens || (c.context ? null : doc.tokens) || range(m).map(String),
      mats: mats, ids: ids, average: average, steps: steps, mask: masks[index] || null
    };
  }
  var layers = Array.prototype.map.call(document.querySelectorAll('script.selfattn-data'),
    function (s, k) { return makeLayer(JSON.parse(s.textContent), k); });

  function headLabel(L, id) {
    return id === 'average' ? 'average of ' + L.config.heads + ' heads' : 'head ' + (Number(id) + 1);
  }
  /* Why key j is hidden from query i, or '' if it is not (the value v of
     head k, null for a masked score or NaN). */
  function maskReason(L, k, i, j, v) {
    var c = L.config;
    if (c.causal && j > i) return 'causal: key ' + j + ' comes after query ' + i;
    if (c.window !== null && c.window !== undefined && Math.abs(i - j) > c.window)
      return 'window: |' + i + ' \u2212 ' + j + '| > ' + c.window;
    if (L.mask && !L.mask[i][j]) return 'the mask file hides it';
    if (L.steps && k !== null && L.steps.scores[k] && L.steps.scores[k][i][j] === null) return 'masked';
    if (v === null || v === undefined || !isFinite(v)) return 'masked';
    return '';
  }

  // ---- colours -------------------------------------------------------------

  var VIRIDIS = [0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c,
                 0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725];
  /* viridis at t in [0, 1] as [r, g, b], as the SVG's (heatmap.c). */
  function viridis(t) {
    t = t > 0 ? Math.min(t, 1) : 0;
    var x = t * 10, k = x >= 10 ? 9 : Math.floor(x), f = x - k, a = VIRIDIS[k], b = VIRIDIS[k + 1];
    return [16, 8, 0].map(function (s) {
      var ca = (a >> s) & 255, cb = (b >> s) & 255;
      return Math.round(ca + f * (cb - ca));
    });
  }
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
                 '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  function headColour(id) {
    if (id === 'average') return '#1f77b4';
    var h = Number(id);
    return h < PALETTE.length ? PALETTE[h] : 'hsl(' + ((h * 137.5) % 360) + ', 60%, 48%)';
  }
  function rgbOf(colour) {
    var probe = document.createElement('canvas').getContext('2d');
    probe.fillStyle = colour;
    var s = probe.fillStyle;            // #rrggbb or rgb(...)
    if (s[0] === '#') return [1, 3, 5].map(function (p) { return parseInt(s.substr(p, 2), 16); });
    return s.match(/\d+/g).slice(0, 3).map(Number);
  }

  /* The colour scale of matrices (each a list of rows; masked(k, i, j, v)
     says which cells to leave out), as the SVG's: from the smallest to the
     largest value, from 0 for positive values whose smallest is under half
     the largest, with the page's --vmin/--vmax when fixed (limits true). */
  function scaleOf(mats, masked, limits) {
    var lo = Infinity, hi = -Infinity;
    mats.forEach(function (M, k) {
      for (var i = 0; i < M.length; i++)
        for (var j = 0; j < M[i].length; j++) {
          var v = M[i][j];
          if (masked(k, i, j, v)) continue;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
    });
    var any = lo <= hi, dataLo = lo, dataHi = hi;
    if (!any) lo = hi = 0;
    if (lo > 0 && (lo < 0.5 * hi || lo === hi)) lo = 0;
    var fixLo = limits && settings.vmin !== null, fixHi = limits && settings.vmax !== null;
    if (fixLo) lo = settings.vmin;
    if (fixHi) hi = settings.vmax;
    if (!(lo < hi)) { if (fixHi && !fixLo) lo = hi - 1; else hi = lo + 1; }
    return { lo: lo, hi: hi, below: any && dataLo < lo, above: any && dataHi > hi };
  }
  function position(s, v) { return (v - s.lo) / (s.hi - s.lo); }

  // ---- the tooltip ---------------------------------------------------------

  var tip = el('div', { id: 'tooltip', role: 'tooltip', hidden: 'hidden' });
  /* Shows text at the client point (x, y), kept inside the window. */
  function showTip(text, x, y) {
    tip.textContent = text;
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.max(4, Math.min(x + 14, window.innerWidth - w - 4)) + 'px';
    tip.style.top = Math.max(4, Math.min(y + 14, window.innerHeight - h - 4)) + 'px';
  }
  function hideTip() { tip.hidden = true; }

  // ---- heat maps on a canvas -----------------------------------------------

  /* Draws M (rows x cols, a list of rows) into a new canvas: cells cw
     wide and ch high after room for the labels (rowLabels, colLabels, or
     none), viridis on scale s, masked cells (masked(i, j, v)) grey and,
     when large enough, hatched; numbers in the cells when numbers is set.
     Returns {canvas, x0, y0, cw, ch}: the grid's origin in the canvas. */
  function heatmap(M, rows, cols, cw, ch, s, masked, rowLabels, colLabels, numbers) {
    var canvas = el('canvas', { tabindex: '0' }), ctx = canvas.getContext('2d');
    var font = '11px system-ui, "DejaVu Sans", sans-serif', x0 = 0, y0 = 0;
    ctx.font = font;
    var widest = function (labels) {
      return labels ? labels.reduce(function (w, t) { return Math.max(w, ctx.measureText(cut(t)).width); }, 0) : 0;
    };
    if (rowLabels) x0 = Math.ceil(widest(rowLabels)) + 8;
    if (colLabels) y0 = Math.ceil(widest(colLabels) * 0.82) + 10;
    canvas.width = x0 + cols * cw + (colLabels ? Math.ceil(widest(colLabels) * 0.6) : 0) + 2;
    canvas.height = y0 + rows * ch + 2;
    ctx = canvas.getContext('2d');
    ctx.font = font;
    var grid = document.createElement('canvas');
    grid.width = cols; grid.height = rows;
    var g = grid.getContext('2d'), img = g.createImageData(cols, rows), masks = [];
    var grey = rgbOf(cssVar('--masked') || '#e6e6e6');
    for (var i = 0; i < rows; i++)
      for (var j = 0; j < cols; j++) {
        var v = M[i][j], rgb, p = 4 * (i * cols + j);
        if (masked(i, j, v)) { rgb = grey; masks.push([i, j]); } else rgb = viridis(position(s, v));
        img.data[p] = rgb[0]; img.data[p + 1] = rgb[1]; img.data[p + 2] = rgb[2]; img.data[p + 3] = 255;
      }
    g.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(grid, x0, y0, cols * cw, rows * ch);
    if (Math.min(cw, ch) >= 6 && masks.length) {
      ctx.strokeStyle = cssVar('--hatch') || '#9a9a9a';
      ctx.lineWidth = 1;
      ctx.beginPath();
      masks.forEach(function (c) {
        ctx.moveTo(x0 + c[1] * cw, y0 + (c[0] + 1) * ch);
        ctx.lineTo(x0 + (c[1] + 1) * cw, y0 + c[0] * ch);
      });
      ctx.stroke();
    }
    ctx.fillStyle = cssVar('--fg') || '#000';
    ctx.textBaseline = 'middle';
    if (rowLabels) {
      ctx.textAlign = 'right';
      rowLabels.forEach(function (t, i) { ctx.fillText(cut(t), x0 - 5, y0 + (i + 0.5) * ch); });
    }
    if (colLabels) {
      ctx.textAlign = 'left';
      colLabels.forEach(function (t, j) {
        ctx.save();
        ctx.translate(x0 + (j + 0.5) * cw, y0 - 5);
        ctx.rotate(-55 * Math.PI / 180);
        ctx.fillText(cut(t), 0, 0);
        ctx.restore();
      });
    }
    if (numbers) {
      ctx.textAlign = 'center';
      ctx.font = '10px "DejaVu Sans Mono", monospace';
      for (var a = 0; a < rows; a++)
        for (var b = 0; b < cols; b++) {
          var w = M[a][b];
          if (masked(a, b, w)) continue;
          ctx.fillStyle = position(s, w) > 0.6 ? '#000' : '#fff';
          ctx.fillText(Math.abs(w) >= 100 ? w.toPrecision(3) : w.toFixed(2).replace('-', '\u2212'),
                       x0 + (b + 0.5) * cw, y0 + (a + 0.5) * ch);
        }
    }
    canvas.setAttribute('data-x0', x0);
    canvas.setAttribute('data-y0', y0);
    canvas.setAttribute('data-cw', cw);
    canvas.setAttribute('data-ch', ch);
    return { canvas: canvas, x0: x0, y0: y0, cw: cw, ch: ch };
  }

  /* The cell size of an r x c heat map that fits about size pixels. */
  function cellSize(r, c, size) {
    var big = Math.max(r, c);
    return big <= 12 ? Math.min(34, Math.floor(size / big)) : big <= 16 ? 24 : big <= 48 ? 14
      : Math.max(1, Math.floor(size / big));
  }

  /* Makes the heat map h (from heatmap()) answer the pointer and the arrow
     keys: cellText(i, j) is the tooltip of a cell, onCell(i, j) (optional)
     is told of the cell under the pointer or the keyboard's cursor. */
  function interactive(h, rows, cols, cellText, onCell) {
    var wrap = el('div', { class: 'wrap' }, [h.canvas]);
    var cursor = el('div', { class: 'cursor', hidden: 'hidden' });
    wrap.appendChild(cursor);
    var at = { i: 0, j: 0 };
    function show(i, j, x, y) {
      at = { i: i, j: j };
      cursor.hidden = false;
      cursor.style.left = (h.x0 + j * h.cw - 1) + 'px';
      cursor.style.top = (h.y0 + i * h.ch - 1) + 'px';
      cursor.style.width = (h.cw + 2) + 'px';
      cursor.style.height = (h.ch + 2) + 'px';
      showTip(cellText(i, j), x, y);
      if (onCell) onCell(i, j);
    }
    function leave() { cursor.hidden = true; hideTip(); if (onCell) onCell(null, null); }
    h.canvas.addEventListener('mousemove', function (e) {
      var r = h.canvas.getBoundingClientRect();
      var j = Math.floor((e.clientX - r.left - h.x0) / h.cw), i = Math.floor((e.clientY - r.top - h.y0) / h.ch);
      if (i >= 0 && i < rows && j >= 0 && j < cols) show(i, j, e.clientX, e.clientY);
      else leave();
    });
    h.canvas.addEventListener('mouseleave', leave);
    h.canvas.addEventListener('blur', leave);
    h.canvas.addEventListener('keydown', function (e) {
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (e.key === 'Escape') { leave(); return; }
      if (!moves[e.key] && e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      var d = moves[e.key] || [0, 0];
      var i = Math.max(0, Math.min(rows - 1, at.i + d[0])), j = Math.max(0, Math.min(cols - 1, at.j + d[1]));
      var r = h.canvas.getBoundingClientRect();
      show(i, j, r.left + h.x0 + (j + 1) * h.cw, r.top + h.y0 + (i + 1) * h.ch);
    });
    return wrap;
  }

  /* The legend of scale s: a gradient, its ends and middle, the masked swatch. */
  function legend(s, caption) {
    var bar = el('canvas', { width: 160, height: 12, 'aria-hidden': 'true' });
    var ctx = bar.getContext('2d');
    for (var x = 0; x < 160; x++) {
      var c = viridis(x / 159);
      ctx.fillStyle = 'rgb(' + c.join(',') + ')';
      ctx.fillRect(x, 0, 1, 12);
    }
    var lo = (s.below ? '\u2264 ' : '') + sig3(s.lo), hi = (s.above ? '\u2265 ' : '') + sig3(s.hi);
    return el('div', { class: 'legend' }, [
      el('span', { text: caption }), el('span', { class: 'lo', text: lo }), bar,
      el('span', { class: 'hi', text: hi }),
      el('span', { text: '(middle ' + sig3((s.lo + s.hi) / 2) + ')' }),
      el('span', { class: 'masked-swatch', 'aria-hidden': 'true' }), el('span', { text: 'masked' })
    ]);
  }

  // ---- the state and the controls ------------------------------------------

  var state = { layer: 0, view: 'head', active: {}, stepsHead: null, what: 'weights' };
  var VIEWS = [['head', 'Head view'], ['matrix', 'Matrix view'], ['model', 'Model view'], ['steps', 'Steps view']];
  var app = document.getElementById('app');
  var views = {}, tabs = {};

  function current() { return layers[state.layer]; }
  function isActive(id) { return state.active[id] !== false; }

  function summary(L) {
    var c = L.config, parts = ['n = ' + L.n];
    if (c.context) parts.push('m = ' + L.m + ' (context ' + c.context + ')');
    parts.push('heads = ' + c.heads, 'd_head = ' + c.d_head, 'scale = ' + c.scale);
    if (c.kv_heads && c.kv_heads !== c.heads) parts.push('kv_heads = ' + c.kv_heads);
    ['causal', 'alibi'].forEach(function (k) { if (c[k]) parts.push(k); });
    if (c.window !== null && c.window !== undefined) parts.push('window ' + c.window);
    if (c.softcap) parts.push('softcap ' + c.softcap);
    if (c.rope) parts.push('RoPE');
    if (c.mask) parts.push('mask ' + c.mask);
    if (c.bias) parts.push('bias ' + c.bias);
    parts.push(c.weights ? 'weights ' + c.weights + (c.layer !== null && c.layer !== undefined ? ' layer ' + c.layer : '')
                         : 'generated weights, seed ' + c.seed);
    return parts.join(', ');
  }

  function buildHeader() {
    var header = el('header');
    header.appendChild(el('h1', { text: 'selfattn: attention' }));
    header.appendChild(el('p', { class: 'summary', id: 'summary' }));
    var controls = el('div', { class: 'controls' });
    if (layers.length > 1) {
      var select = el('select', { id: 'layer-select', 'aria-label': 'layer' },
        layers.map(function (L, k) { return el('option', { value: k, text: L.title }); }));
      select.addEventListener('change', function () { setLayer(Number(select.value)); });
      controls.appendChild(el('label', { for: 'layer-select', text: 'Result' }));
      controls.appendChild(select);
    }
    controls.appendChild(el('div', { class: 'head-toggles', id: 'head-toggles', role: 'group', 'aria-label': 'heads shown' }));
    header.appendChild(controls);
    var list = el('div', { role: 'tablist', 'aria-label': 'views' });
    VIEWS.forEach(function (v) {
      var tab = el('button', { role: 'tab', id: 'tab-' + v[0], 'aria-controls': 'view-' + v[0], text: v[1] });
      tab.addEventListener('click', function () { showView(v[0]); });
      tab.addEventListener('keydown', function (e) {
        var k = VIEWS.findIndex(function (w) { return w[0] === v[0]; });
        var d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
        if (!d) return;
        var next = VIEWS[(k + d + VIEWS.length) % VIEWS.length][0];
        showView(next);
        tabs[next].focus();
      });
      tabs[v[0]] = tab;
      list.appendChild(tab);
    });
    header.appendChild(list);
    return header;
  }

  /* The head toggles of the current layer: one button per head. */
  function buildToggles() {
    var L = current(), box = document.getElementById('head-toggles');
    box.textContent = '';
    box.appendChild(el('span', { class: 'label', text: 'Heads:' }));
    L.ids.forEach(function (id) {
      var b = el('button', { class: 'head-toggle', 'data-head': id, 'aria-pressed': String(isActive(id)),
                             title: 'show or hide ' + headLabel(L, id) },
                 [el('span', { class: 'swatch', style: 'background:' + headColour(id) }), headLabel(L, id)]);
      b.addEventListener('click', function () {
        state.active[id] = !isActive(id);
        b.setAttribute('aria-pressed', String(isActive(id)));
        applyActive();
      });
      box.appendChild(b);
    });
    if (L.ids.length > 1) {
      var all = el('button', { class: 'all-heads', text: 'all' });
      all.addEventListener('click', function () { setActive(null); });
      box.appendChild(all);
    }
  }

  /* Shows every head (only null) or head only. */
  function setActive(only) {
    current().ids.forEach(function (id) { state.active[id] = only === null || id === only; });
    document.querySelectorAll('.head-toggle').forEach(function (b) {
      b.setAttribute('aria-pressed', String(isActive(b.getAttribute('data-head'))));
    });
    applyActive();
  }

  function applyActive() {
    document.querySelectorAll('#view-head .head-lines, #view-matrix .matrix').forEach(function (e) {
      var id = e.getAttribute('data-head');
      e.hidden = !(id === 'average' && state.what === 'average') && !isActive(id);
    });
    if (headView.focused !== null) headView.focus(headView.focused.side, headView.focused.index);
  }

  function showView(name) {
    state.view = name;
    VIEWS.forEach(function (v) {
      var on = v[0] === name;
      views[v[0]].hidden = !on;
      tabs[v[0]].setAttribute('aria-selected', String(on));
      tabs[v[0]].tabIndex = on ? 0 : -1;
    });
    hideTip();
  }

  function setLayer(k) {
    state.layer = k;
    state.active = {};
    state.stepsHead = null;
    if (state.what === 'scores' && !current().steps) state.what = 'weights';
    var select = document.getElementById('layer-select');
    if (select) select.value = String(k);
    renderLayer();
  }

  // ---- the head view -------------------------------------------------------

  var headView = { focused: null };

  /* Lines from each query (left) to each key (right) with the weight as
     their opacity: one canvas per head, and one for the lines of the token
     under the pointer or the keyboard. */
  function buildHeadView(section) {
    var L = current(), rows = Math.max(L.n, L.m);
    var rowH = rows <= 30 ? 22 : rows <= 80 ? 16 : 13, W = 240, H = rows * rowH;
    section.textContent = '';
    section.appendChild(el('p', { class: 'hint', text:
      'Each query (left) attends to the keys (right): a line\'s opacity is the weight, its colour the head. ' +
      'Point at a token, or focus it and use the arrow keys, to see its lines alone.' }));
    var attn = el('div', { class: 'attn' });
    var left = el('div', { class: 'tokens left', role: 'list', 'aria-label': 'queries' });
    var right = el('div', { class: 'tokens right', role: 'list', 'aria-label': 'keys' });
    var lines = el('div', { class: 'lines', style: 'width:' + W + 'px;height:' + H + 'px' });
    var font = 'font-size:' + Math.min(14, rowH - 2) + 'px;';
    [[left, L.tokens, 'q', L.n], [right, L.keys, 'k', L.m]].forEach(function (col) {
      col[1].forEach(function (t, i) {
        col[0].appendChild(el('div', { class: 'token', role: 'listitem', 'data-side': col[2], 'data-index': i,
          tabindex: i === 0 && col[2] === 'q' ? '0' : '-1', title: t,
          style: font + 'height:' + rowH + 'px;line-height:' + rowH + 'px', text: t }));
      });
    });
    L.mats.forEach(function (M, k) {
      var c = el('canvas', { class: 'head-lines', 'data-head': L.ids[k], width: W, height: H });
      drawLines(c.getContext('2d'), M, null, null, headColour(L.ids[k]), rowH, W, false);
      lines.appendChild(c);
    });
    var focusCanvas = el('canvas', { class: 'focus-lines', width: W, height: H, hidden: 'hidden' });
    lines.appendChild(focusCanvas);
    attn.appendChild(left); attn.appendChild(lines); attn.appendChild(right);
    section.appendChild(attn);
    headView.focused = null;
    headView.focus = function (side, index) { focusToken(L, side, index, rowH, W, focusCanvas); };
    [left, right].forEach(function (col) {
      col.addEventListener('mouseover', function (e) {
        var t = e.target.closest('.token');
        if (t) { headView.focus(t.getAttribute('data-side'), Number(t.getAttribute('data-index'))); tokenTip(L, t, e); }
      });
      col.addEventListener('mouseleave', function () { unfocus(); hideTip(); });
      col.addEventListener('focusin', function (e) {
        var t = e.target.closest('.token');
        if (!t) return;
        headView.focus(t.getAttribute('data-side'), Number(t.getAttribute('data-index')));
        var r = t.getBoundingClientRect();
        tokenTip(L, t, { clientX: r.right, clientY: r.top });
      });
      col.addEventListener('focusout', function () { unfocus(); hideTip(); });
      col.addEventListener('keydown', function (e) {
        var t = e.target.closest('.token'), d = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : 0;
        var other = e.key === 'ArrowRight' ? right : e.key === 'ArrowLeft' ? left : null;
        if (!t || (!d && !other)) return;
        e.preventDefault();
        var list = (other || col).querySelectorAll('.token');
        var next = list[Math.max(0, Math.min(list.length - 1, Number(t.getAttribute('data-index')) + d))];
        t.tabIndex = -1; next.tabIndex = 0; next.focus();
      });
    });
  }

  /* Draws the lines of M (n x m) on ctx: all of them, or those of query
     qi or of key kj; opacity the weight, in steps of 1/20 so that a few
     paths draw them all. */
  function drawLines(ctx, M, qi, kj, colour, rowH, W, bold) {
    var buckets = [];
    for (var i = 0; i < M.length; i++) {
      if (qi !== null && i !== qi) continue;
      for (var j = 0; j < M[i].length; j++) {
        if (kj !== null && j !== kj) continue;
        var w = M[i][j];
        if (!(w >= 0.025)) continue;
        var b = Math.min(20, Math.round(w * 20));
        (buckets[b] = buckets[b] || []).push(i, j);
      }
    }
    ctx.strokeStyle = colour;
    ctx.lineWidth = bold ? 2.5 : rowH > 14 ? 1.5 : 1;
    buckets.forEach(function (list, b) {
      ctx.globalAlpha = b / 20;
      ctx.beginPath();
      for (var p = 0; p < list.length; p += 2) {
        ctx.moveTo(2, (list[p] + 0.5) * rowH);
        ctx.lineTo(W - 2, (list[p + 1] + 0.5) * rowH);
      }
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
  }

  /* The lines of one token alone, and the other side shaded by weight. */
  function focusToken(L, side, index, rowH, W, canvas) {
    headView.focused = { side: side, index: index };
    var ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    document.querySelectorAll('#view-head .head-lines').forEach(function (c) { c.hidden = true; });
    canvas.hidden = false;
    var shade = [], best = [];
    L.mats.forEach(function (M, k) {
      var id = L.ids[k];
      if (!isActive(id)) return;
      drawLines(ctx, M, side === 'q' ? index : null, side === 'k' ? index : null, headColour(id), rowH, W, true);
      var count = side === 'q' ? L.m : L.n;
      for (var o = 0; o < count; o++) {
        var w = side === 'q' ? M[index][o] : M[o][index];
        if (w > (shade[o] || 0)) { shade[o] = w; best[o] = id; }
      }
    });
    document.querySelectorAll('#view-head .token').forEach(function (t) {
      var s = t.getAttribute('data-side'), i = Number(t.getAttribute('data-index'));
      t.classList.toggle('focus', s === side && i === index);
      if (s !== side && shade[i] > 0) {
        var c = rgbOf(headColour(best[i]));
        t.style.background = 'rgba(' + c.join(',') + ',' + Math.min(0.85, shade[i]).toFixed(3) + ')';
      } else t.style.background = '';
    });
  }

  function unfocus() {
    headView.focused = null;
    var fc = document.querySelector('#view-head .focus-lines');
    if (fc) fc.hidden = true;
    document.querySelectorAll('#view-head .head-lines').forEach(function (c) {
      c.hidden = !isActive(c.getAttribute('data-head'));
    });
    document.querySelectorAll('#view-head .token').forEach(function (t) {
      t.classList.remove('focus'); t.style.background = '';
    });
  }

  /* The tooltip of a token: for each head shown, the keys it attends to
     most (a query) or the queries that attend to it most (a key). */
  function tokenTip(L, t, e) {
    var side = t.getAttribute('data-side'), i = Number(t.getAttribute('data-index'));
    var names = side === 'q' ? L.keys : L.tokens, lines = [(side === 'q' ? 'query ' : 'key ') +
      (side === 'q' ? L.tokens : L.keys)[i] + ' (' + i + ')'];
    L.mats.forEach(function (M, k) {
      if (!isActive(L.ids[k])) return;
      var row = (side === 'q' ? M[i] : M.map(function (r) { return r[i]; }))
        .map(function (w, o) { return [w, o]; }).filter(function (p) { return p[0] > 0; })
        .sort(function (a, b) { return b[0] - a[0]; }).slice(0, 3);
      lines.push(headLabel(L, L.ids[k]) + ': ' + row.map(function (p) {
        return names[p[1]] + ' (' + p[1] + ') ' + short(p[0]);
      }).join(', '));
    });
    showTip(lines.join('\n'), e.clientX, e.clientY);
  }

  // ---- the matrix view -----------------------------------------------------

  /* What the matrix view can show of layer L: weights (the heads), the
     scores of the steps, the average. */
  function whatChoices(L) {
    var c = [['weights', L.ids[0] === 'average' ? 'average weights' : 'weights']];
    if (L.steps) c.push(['scores', 'scores']);
    if (L.average && L.ids[0] !== 'average') c.push(['average', 'average of the heads']);
    return c;
  }

  function buildMatrixView(section) {
    var L = current();
    section.textContent = '';
    section.appendChild(el('p', { class: 'hint', text:
      'One heat map per head: rows are queries, columns keys, one colour scale for all. ' +
      'Point at a cell, or focus a map and use the arrow keys, for its exact value.' }));
    var what = el('div', { class: 'what', role: 'group', 'aria-label': 'what to draw' }, [el('span', { text: 'Show:' })]);
    whatChoices(L).forEach(function (w) {
      var b = el('button', { 'data-what': w[0], 'aria-pressed': String(state.what === w[0]), text: w[1] });
      b.addEventListener('click', function () { state.what = w[0]; buildMatrixView(section); applyActive(); });
      what.appendChild(b);
    });
    section.appendChild(what);
    var mats = state.what === 'scores' ? L.steps.scores : state.what === 'average' ? [L.average] : L.mats;
    var ids = state.what === 'average' ? ['average'] : L.ids;
    var masked = function (k, i, j, v) { return maskReason(L, state.what === 'average' ? null : k, i, j, v) !== ''; };
    var s = scaleOf(mats, masked, true);
    var cell = cellSize(L.n, L.m, 480), labels = cell >= 10;
    var panels = el('div', { class: 'panels' });
    mats.forEach(function (M, k) {
      var id = ids[k];
      var h = heatmap(M, L.n, L.m, cell, cell, s, function (i, j, v) { return masked(k, i, j, v); },
                      labels ? L.tokens : null, labels ? L.keys : null, false);
      h.canvas.setAttribute('aria-label', state.what + ', ' + headLabel(L, id) + ': a heat map; arrow keys move');
      var wrap = interactive(h, L.n, L.m, function (i, j) {
        var v = M[i][j], why = maskReason(L, state.what === 'average' ? null : k, i, j, v);
        return L.tokens[i] + ' (' + i + ') \u2192 ' + L.keys[j] + ' (' + j + '): ' +
          (why ? 'masked' + (why !== 'masked' ? ' (' + why + ')' : '') : exact(v)) + '\n' + headLabel(L, id) + ', ' + state.what;
      });
      panels.appendChild(el('figure', { class: 'matrix', 'data-head': id }, [
        el('figcaption', {}, [headLabel(L, id) + ' ', el('span', { class: 'shape', text: '(' + L.n + times() + L.m + ')' })]),
        wrap]));
    });
    section.appendChild(panels);
    section.appendChild(legend(s, state.what === 'scores' ? 'scores' : 'weights'));
  }

  // ---- the model view ------------------------------------------------------

  function buildModelView(section) {
    section.textContent = '';
    section.appendChild(el('p', { class: 'hint', text:
      'Every result (layer) and head as a thumbnail, on one colour scale. ' +
      'Click one, or press Enter on it, to open it in the head and matrix views.' }));
    var most = layers.reduce(function (k, L) { return Math.max(k, L.mats.length); }, 0);
    var size = layers.length * most > 150 ? 48 : 72;
    var all = [], where = [];
    layers.forEach(function (L) { L.mats.forEach(function (M, k) { all.push(M); where.push([L, k]); }); });
    var s = scaleOf(all, function (a, i, j, v) { var p = where[a]; return maskReason(p[0], p[1], i, j, v) !== ''; }, true);
    var table = el('table', { class: 'model' });
    var head = el('tr', {}, [el('th')]);
    for (var h = 0; h < most; h++) head.appendChild(el('th', { scope: 'col', text: 'head ' + (h + 1) }));
    table.appendChild(head);
    layers.forEach(function (L, l) {
      var row = el('tr', {}, [el('th', { scope: 'row', text: L.title })]);
      L.mats.forEach(function (M, k) {
        var id = L.ids[k], cell = Math.max(1, Math.floor(size / Math.max(L.n, L.m)));
        var hm = heatmap(M, L.n, L.m, cell, cell, s, function (i, j, v) { return maskReason(L, k, i, j, v) !== ''; },
                         null, null, false);
        var c = el('canvas', { width: size, height: size, 'aria-hidden': 'true' }), ctx = c.getContext('2d');
        ctx.imageSmoothingEnabled = L.n > size;
        ctx.drawImage(hm.canvas, 0, 0, L.m * cell, L.n * cell, 0, 0, size * L.m / Math.max(L.n, L.m),
                      size * L.n / Math.max(L.n, L.m));
        var b = el('button', { class: 'thumb', 'data-layer': l, 'data-head': id,
                               'aria-label': L.title + ', ' + headLabel(L, id), title: L.title + ', ' + headLabel(L, id) }, [c]);
        b.addEventListener('click', function () {
          if (state.layer !== l) setLayer(l);
          setActive(id);
          state.stepsHead = id;
          renderSteps();
          markThumbs();
          showView('head');
        });
        row.appendChild(el('td', {}, [b]));
      });
      table.appendChild(row);
    });
    section.appendChild(table);
    section.appendChild(legend(s, 'weights'));
    markThumbs();
  }

  function markThumbs() {
    document.querySelectorAll('.thumb').forEach(function (b) {
      var on = Number(b.getAttribute('data-layer')) === state.layer && isActive(b.getAttribute('data-head'));
      b.classList.toggle('current', on);
    });
  }

  // ---- the steps view ------------------------------------------------------

  /* ALiBi's slopes for H heads (as the library's sa_alibi_slopes). */
  function alibiSlopes(H) {
    var n2 = 1;
    while (n2 * 2 <= H) n2 *= 2;
    var s = range(n2).map(function (h) { return Math.pow(2, -8 * (h + 1) / n2); });
    for (var k = 0; s.length < H; k++) s.push(Math.pow(2, -8 * (2 * k + 1) / (2 * n2)));
    return s;
  }

  /* The formula of each step, as the run computed it. */
  function formulas(L) {
    var c = L.config, x = c.pos ? '(X + PE)' : 'X', ctx = c.context ? 'C' : x;
    var kv = c.kv_heads && c.kv_heads !== c.heads ? ', key/value head h \u00f7 ' + (c.heads / c.kv_heads) : '';
    var rope = c.rope ? ', then rotated (RoPE)' : '';
    var sc = 's = ' + c.scale + ' \u00b7 q\u00b7k';
    if (c.softcap) sc += ' \u2192 ' + c.softcap + '\u00b7tanh(s/' + c.softcap + ')';
    if (c.alibi) sc += ' \u2192 \u2212 m_h|i\u2212j|';
    if (c.bias) sc += ' \u2192 + bias';
    if (c.causal || c.mask || (c.window !== null && c.window !== undefined)) sc += ' \u2192 masked: \u2212\u221e';
    return {
      Q: 'Q = ' + x + ' W_q' + (c.biases ? ' + b_q' : '') + ', this head\'s columns' + rope,
      K: 'K = ' + ctx + ' W_k' + (c.biases ? ' + b_k' : '') + kv + rope,
      V: 'V = ' + ctx + ' W_v' + (c.biases ? ' + b_v' : '') + kv,
      scores: sc,
      softmax: 'w_ij = exp(s_ij \u2212 max_j s_ij) / \u03a3_j exp(s_ij \u2212 max_j s_ij)',
      head_output: 'O = W V: each row the value rows averaged with its weights'
    };
  }

  function renderSteps() {
    var section = views.steps, L = current();
    section.textContent = '';
    if (!L.steps) {
      tabs.steps.setAttribute('aria-disabled', 'true');
      section.appendChild(el('p', { class: 'hint', text: 'This result has no steps: run with --print weights,steps ' +
        '(-p steps) to see Q, K, V, the scores and the softmax, and how each weight comes about.' }));
      return;
    }
    tabs.steps.removeAttribute('aria-disabled');
    var ids = L.ids, id = ids.indexOf(state.stepsHead) >= 0 ? state.stepsHead : ids[0], k = ids.indexOf(id);
    var pick = el('select', { id: 'steps-head', 'aria-label': 'head' },
      ids.map(function (h) { return el('option', { value: h, text: headLabel(L, h) }); }));
    pick.value = id;
    pick.addEventListener('change', function () { state.stepsHead = pick.value; renderSteps(); });
    section.appendChild(el('p', { class: 'hint' }, [
      'Q, K and V of ', pick, ', the scores and the softmax. Point at a score or a weight (or focus it and ' +
      'use the arrow keys) to see the q row and k row it came from and each term on the way.']));
    var f = formulas(L), box = el('div', { class: 'steps', 'data-head': id }), parts = {};
    var dh = L.steps.Q[k][0].length;
    var shown = [['Q', L.n, dh, L.tokens], ['K', L.m, dh, L.keys], ['V', L.m, dh, L.keys],
                 ['scores', L.n, L.m, L.tokens], ['softmax', L.n, L.m, L.tokens]];
    // results since head_output was kept show what each head gathers too
    if (L.steps.head_output) shown.push(['head_output', L.n, dh, L.tokens]);
    shown.forEach(function (p) {
      var name = p[0], M = L.steps[name][k], rows = p[1], cols = p[2], square = name === 'scores' || name === 'softmax';
      var masked = square ? function (i, j, v) { return maskReason(L, k, i, j, v) !== ''; } : function () { return false; };
      var s = scaleOf([M], function (_, i, j, v) { return masked(i, j, v); }, false);
      // a step's cells are square, except Q, K, V's of many rows: wider
      var ch = cellSize(rows, cols, 300), cw = square ? ch : Math.max(ch, Math.min(34, Math.floor(120 / cols)));
      var h = heatmap(M, rows, cols, cw, ch, s, masked, ch >= 10 ? p[3] : null,
                      cw >= 10 && square ? L.keys : null, rows <= 12 && cols <= 12 && ch >= 30);
      h.canvas.setAttribute('aria-label', name + ' of ' + headLabel(L, id));
      var explainable = square;
      var wrap = interactive(h, rows, cols, function (i, j) {
        return name + '[' + i + '][' + j + '] = ' + exact(M[i][j]) + (square ? '  (' + L.tokens[i] + ' \u2192 ' + L.keys[j] + ')' : '');
      }, explainable ? function (i, j) { if (i !== null) explain(L, k, i, j, parts); } : null);
      var rowMark = el('div', { class: 'cursor row', hidden: 'hidden' });
      wrap.appendChild(rowMark);
      parts[name] = { h: h, mark: rowMark, cols: cols };
      box.appendChild(el('figure', { class: 'step', 'data-step': name }, [
        el('figcaption', {}, [name + ' ', el('span', { class: 'shape', text: '(' + rows + times() + cols + ')' }),
          el('span', { class: 'formula', text: f[name] })]), wrap]));
    });
    section.appendChild(box);
    section.appendChild(el('div', { class: 'detail', id: 'steps-detail', 'aria-live': 'polite' },
      [el('p', { text: 'Point at a score or a weight to see how it was computed.' })]));
  }

  /* Marks row r of a step's heat map (null: none). */
  function markRow(part, r) {
    if (r === null) { part.mark.hidden = true; return; }
    var h = part.h;
    part.mark.hidden = false;
    part.mark.style.left = (h.x0 - 1) + 'px';
    part.mark.style.top = (h.y0 + r * h.ch - 1) + 'px';
    part.mark.style.width = (part.cols * h.cw + 2) + 'px';
    part.mark.style.height = (h.ch + 2) + 'px';
  }

  /* How weight (i, j) of head k came about, term by term, into the detail
     box; the q row and k row marked on Q and K. */
  function explain(L, k, i, j, parts) {
    var c = L.config, S = L.steps, q = S.Q[k][i], kk = S.K[k][j];
    markRow(parts.Q, i); markRow(parts.K, j); markRow(parts.scores, i);
    var lines = [], dot = 0, terms = [];
    q.forEach(function (a, t) { dot += a * kk[t]; terms.push(short(a) + '\u00d7' + short(kk[t])); });
    if (terms.length > 8) terms = terms.slice(0, 4).concat(['\u2026'], terms.slice(-2));
    var add = function (label, math) { lines.push([label, math]); };
    add('query ' + L.tokens[i] + ' (' + i + ') \u2192 key ' + L.keys[j] + ' (' + j + '), ' + headLabel(L, L.ids[k]), '');
    add('q = Q[' + i + ']', '[' + q.map(short).join(', ') + ']');
    add('k = K[' + j + ']', '[' + kk.map(short).join(', ') + ']' + (c.rope ? '   (q and k after RoPE)' : ''));
    add('q\u00b7k', terms.join(' + ') + ' = ' + short(dot));
    var s = dot * c.scale;
    add('\u00d7 scale', short(dot) + ' \u00d7 ' + c.scale + ' = ' + short(s));
    if (c.softcap) {
      var capped = c.softcap * Math.tanh(s / c.softcap);
      add('softcap', c.softcap + '\u00b7tanh(' + short(s) + '/' + c.softcap + ') = ' + short(capped));
      s = capped;
    }
    if (c.alibi) {
      var head = Number(L.ids[k]), slope = alibiSlopes(c.heads)[head], d = Math.abs(i - j);
      add('ALiBi', short(s) + ' \u2212 ' + short(slope) + '\u00d7|' + i + '\u2212' + j + '| = ' + short(s - slope * d));
      s -= slope * d;
    }
    var stored = S.scores[k][i][j], why = maskReason(L, k, i, j, stored);
    if (c.bias && stored !== null)
      add('+ bias', short(s) + ' + ' + short(stored - s) + ' = ' + short(stored) + '   (the bias file\'s value, ' +
          'read back as the stored score minus the terms above)');
    if (why) {
      add('masked', why + ': s = \u2212\u221e, so exp(s) = 0 and the weight is 0');
    } else {
      add('score s', exact(stored) + '   (as stored; computed here in double: ' + short(c.bias ? stored : s) + ')');
      var row = S.scores[k][i], max = -Infinity, sum = 0, visible = 0;
      row.forEach(function (v) { if (v !== null && v > max) max = v; });
      row.forEach(function (v) { if (v !== null) { sum += Math.exp(v - max); visible++; } });
      var e = Math.exp(stored - max);
      add('exp(s \u2212 max)', 'exp(' + short(stored) + ' \u2212 ' + short(max) + ') = ' + short(e) +
          '   (max of row ' + i + ': ' + short(max) + ')');
      add('row sum', '\u03a3_j exp(s_' + i + 'j \u2212 max) = ' + short(sum) + ' over ' + visible + ' visible key' +
          (visible === 1 ? '' : 's'));
      add('weight', short(e) + ' / ' + short(sum) + ' = ' + String(Number((e / sum).toPrecision(8))) +
          '   (stored: ' + exact(S.softmax[k][i][j]) + ')');
    }
    var box = document.getElementById('steps-detail');
    box.textContent = '';
    lines.forEach(function (l) {
      box.appendChild(l[1] === '' ? el('p', { text: l[0] })
        : el('p', {}, [el('b', { text: l[0] + ': ' }), el('span', { class: 'math', text: l[1] })]));
    });
  }

  // ---- putting it together ---------------------------------------------------

  function renderLayer() {
    document.getElementById('summary').textContent = (layers.length > 1 ? current().title + ': ' : '') + summary(current());
    if (state.what === 'average' && !current().average) state.what = 'weights';
    buildToggles();
    buildHeadView(views.head);
    buildMatrixView(views.matrix);
    renderSteps();
    applyActive();
    markThumbs();
  }

  /* The page's address may say what to show: #view=matrix&layer=1&head=2
     (head from 0, as in the JSON). */
  function fromAddress() {
    var want = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (p) {
      var kv = p.split('=');
      if (kv.length === 2) want[decodeURIComponent(kv[0])] = decodeURIComponent(kv[1]);
    });
    if (want.layer && layers[Number(want.layer)]) setLayer(Number(want.layer));
    if (want.head !== undefined && current().ids.indexOf(want.head) >= 0) {
      setActive(want.head);
      state.stepsHead = want.head;
      renderSteps();
    }
    if (want.what && whatChoices(current()).some(function (w) { return w[0] === want.what; })) {
      state.what = want.what;
      buildMatrixView(views.matrix);
      applyActive();
    }
    if (want.view && views[want.view]) showView(want.view);
  }

  function start() {
    if (!layers.length) throw new Error('the page holds no result');
    app.appendChild(buildHeader());
    var main = el('main');
    VIEWS.forEach(function (v) {
      views[v[0]] = el('section', { id: 'view-' + v[0], class: 'view', role: 'tabpanel', 'aria-labelledby': 'tab-' + v[0] });
      main.appendChild(views[v[0]]);
    });
    app.appendChild(main);
    document.body.appendChild(tip);
    renderLayer();
    buildModelView(views.model);
    showView('head');
    fromAddress();
    window.addEventListener('scroll', hideTip, { passive: true });
    var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)');
    if (dark && dark.addEventListener)
      dark.addEventListener('change', function () { renderLayer(); buildModelView(views.model); });
  }

  try {
    start();
  } catch (e) {
    app.appendChild(el('p', { class: 'error', text: 'selfattn: this page could not be drawn: ' + e.message }));
    throw e;
  }
})();
