/*
 * chart.js — draws a bar or line chart of two datastore columns with Chart.js.
 * Classic script, after the vendored Chart.js UMD build (which defines window.Chart):
 *   <script src="/static/vendor/chart.js/chart.umd.js" defer></script>
 *   <script src="/static/js/chart.js" defer></script>
 * (If window.Chart is missing, this script loads ../vendor/chart.js/chart.umd.js itself on the
 * first submit.)
 *
 * MARKUP CONTRACT:
 *   <form class="ds-chart"
 *         data-resource-id="RESOURCE_ID"                       required
 *         data-api="/api/3/action/datastore_search"           required
 *         data-columns='[{"id":"人口","type":"int"}, …]'        the table's fields (id, type, …)
 *         data-label-loading="読み込み中…"                          optional
 *         data-label-done="{count} 件のデータでグラフを表示しました"   optional
 *         data-label-truncated="先頭 {count} 件を表示しています（全 {total} 件）"   optional
 *         data-label-no-values="数値のデータがありません"              optional
 *         data-label-error="グラフのデータを読み込めませんでした：{message}"   optional
 *         data-label-canvas="{y}（{x}別）"                          optional: if set, the canvas
 *                                                                   aria-label is this after drawing
 *   >
 *     <label for=…>横軸</label><select name="x" id=…><option value="COLUMN_ID">Label</option>…</select>
 *     <label for=…>縦軸</label><select name="y" id=…>(numeric columns)</select>
 *     <label for=…>種類</label><select name="kind"><option value="bar">棒</option><option value="line">折れ線</option></select>
 *     <button type="submit">グラフを表示</button>
 *     <div class="ds-chart-canvas">                  (recommended; the script adds it if missing)
 *       <canvas role="img" aria-label="グラフ（同じ値を下の表でも読めます）"></canvas>
 *     </div>
 *     <p class="ds-chart-status" aria-live="polite"></p>
 *     <table class="ds-chart-table visually-hidden"><caption>グラフの値</caption>
 *       <thead></thead><tbody></tbody></table>     (the script creates it if missing; a
 *         visually-hidden one is moved into <div class="visually-hidden ds-chart-table-wrap">,
 *         because a long table ignores the 1px box and would stretch the page)
 *   </form>
 * On submit (default prevented): GET data-api?resource_id&limit=1000&fields=x,y (a JSON list when a
 * name contains a comma)[&sort="x" asc for line charts]; the previous chart is destroyed; the
 * alternative table is rewritten (textContent only) with <th scope="col"> x/y labels (the
 * selected options' text) and one row per record (<th scope="row"> x, <td> y).
 */
(function () {
  'use strict';

  const SCRIPT_URL = document.currentScript ? document.currentScript.src : '';
  const LIMIT = 1000;
  const COLOR = '#1f5fa8';
  const FILL = 'rgba(31, 95, 168, 0.85)';
  const FONT = '"Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Yu Gothic", YuGothic, Meiryo, sans-serif';

  // Shared helpers from site.js (loaded first on every page).
  const { fill, formatNumber } = window.Tsunagu;

  function lang() {
    return document.documentElement.lang || 'ja';
  }

  function text(value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  function toNumber(value) {
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value !== 'string') return null;
    const cleaned = value.trim().replace(/,/g, '');
    if (cleaned === '') return null;
    const n = Number(cleaned);
    return Number.isFinite(n) ? n : null;
  }

  function errorMessage(body, status) {
    const error = body && body.error;
    if (error && typeof error === 'object') {
      if (error.message) return String(error.message);
      for (const [key, value] of Object.entries(error)) {
        if (key.startsWith('__')) continue;
        return Array.isArray(value) ? value.join(' ') : String(value);
      }
    }
    return 'HTTP ' + status;
  }

  let chartPromise = null;
  function ensureChart() {
    if (window.Chart) return Promise.resolve(window.Chart);
    if (!chartPromise) {
      chartPromise = new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = new URL('../vendor/chart.js/chart.umd.js', SCRIPT_URL || document.baseURI).href;
        script.onload = () => (window.Chart ? resolve(window.Chart) : reject(new Error('Chart.js did not load')));
        script.onerror = () => {
          chartPromise = null;
          reject(new Error('Chart.js did not load'));
        };
        document.head.appendChild(script);
      });
    }
    return chartPromise;
  }

  function selectedLabel(select) {
    const option = select && select.selectedOptions && select.selectedOptions[0];
    return option ? option.textContent.trim() : select ? select.value : '';
  }

  function setup(form) {
    const d = form.dataset;
    const api = d.api;
    const resourceId = d.resourceId;
    const canvas = form.querySelector('canvas');
    if (!api || !resourceId || !canvas) return;
    let columns = [];
    try {
      columns = JSON.parse(d.columns || '[]');
    } catch (_) {
      columns = [];
    }
    const known = new Set((Array.isArray(columns) ? columns : []).map((c) => c && String(c.id)));
    const labels = {
      loading: d.labelLoading || '読み込み中…',
      done: d.labelDone || '{count} 件のデータでグラフを表示しました',
      truncated: d.labelTruncated || '先頭 {count} 件を表示しています（全 {total} 件）',
      noValues: d.labelNoValues || '数値のデータがありません',
      error: d.labelError || 'グラフのデータを読み込めませんでした：{message}',
      canvas: d.labelCanvas || '',
    };
    const status = form.querySelector('.ds-chart-status');

    // Chart.js sizes the canvas from its parent: give it a parent of its own.
    let holder = canvas.parentElement;
    if (!holder.classList.contains('ds-chart-canvas')) {
      holder = document.createElement('div');
      holder.className = 'ds-chart-canvas';
      canvas.replaceWith(holder);
      holder.appendChild(canvas);
    }
    holder.hidden = true; // nothing to show until the first chart

    let table = form.querySelector('table.ds-chart-table');
    if (!table) {
      table = document.createElement('table');
      table.className = 'ds-chart-table visually-hidden';
      (status || holder).insertAdjacentElement('afterend', table);
    }
    // A table ignores height/overflow, so a long visually-hidden one still stretches the page:
    // hide a wrapper <div> instead (the table keeps its semantics).
    if (table.classList.contains('visually-hidden')) {
      const wrap = document.createElement('div');
      wrap.className = 'visually-hidden ds-chart-table-wrap';
      table.replaceWith(wrap);
      wrap.appendChild(table);
      table.classList.remove('visually-hidden');
    }
    const thead = table.tHead || table.createTHead();
    const tbody = table.tBodies[0] || table.createTBody();

    let chart = null;
    let controller = null;

    function setStatus(message, isError) {
      if (!status) return;
      status.textContent = message;
      status.classList.toggle('is-error', Boolean(isError));
    }

    function renderTable(xLabel, yLabel, labelsX, values) {
      const headRow = document.createElement('tr');
      for (const name of [xLabel, yLabel]) {
        const th = document.createElement('th');
        th.scope = 'col';
        th.textContent = name;
        headRow.appendChild(th);
      }
      thead.replaceChildren(headRow);
      const fragment = document.createDocumentFragment();
      labelsX.forEach((label, i) => {
        const tr = document.createElement('tr');
        const th = document.createElement('th');
        th.scope = 'row';
        th.textContent = label;
        const td = document.createElement('td');
        td.textContent = values[i] === null ? '' : formatNumber(values[i]);
        tr.append(th, td);
        fragment.appendChild(tr);
      });
      tbody.replaceChildren(fragment);
    }

    function draw(Chart, kind, xLabel, yLabel, labelsX, values) {
      if (chart) {
        chart.destroy();
        chart = null;
      }
      holder.hidden = false;
      const reduceMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      Chart.defaults.font.family = FONT;
      Chart.defaults.color = '#1a1a1a';
      const formatter = new Intl.NumberFormat(lang());
      chart = new Chart(canvas, {
        type: kind,
        data: {
          labels: labelsX,
          datasets: [{
            label: yLabel,
            data: values,
            backgroundColor: kind === 'bar' ? FILL : COLOR,
            borderColor: COLOR,
            borderWidth: kind === 'line' ? 2 : 1,
            pointRadius: kind === 'line' && values.length <= 100 ? 3 : 0,
            spanGaps: false,
          }],
        },
        options: {
          locale: lang(),
          responsive: true,
          maintainAspectRatio: false,
          animation: reduceMotion ? false : { duration: 300 },
          plugins: { legend: { display: false } },
          scales: {
            x: { title: { display: true, text: xLabel }, ticks: { autoSkip: true, maxRotation: 60 } },
            y: {
              beginAtZero: kind === 'bar',
              title: { display: true, text: yLabel },
              ticks: { callback: (value) => formatter.format(value) },
            },
          },
        },
      });
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const xSelect = form.elements.namedItem('x');
      const ySelect = form.elements.namedItem('y');
      const kindSelect = form.elements.namedItem('kind');
      const x = xSelect ? xSelect.value : '';
      const y = ySelect ? ySelect.value : '';
      const kind = kindSelect && kindSelect.value === 'line' ? 'line' : 'bar';
      if (!x || !y || (known.size && (!known.has(x) || !known.has(y)))) {
        setStatus(fill(labels.error, { message: x || y }), true);
        return;
      }
      const xLabel = selectedLabel(xSelect);
      const yLabel = selectedLabel(ySelect);
      const fields = x === y ? [x] : [x, y];
      const params = new URLSearchParams({
        resource_id: resourceId,
        limit: String(LIMIT),
        fields: fields.some((f) => f.includes(',') || f.startsWith('[')) ? JSON.stringify(fields) : fields.join(','),
      });
      if (kind === 'line') params.set('sort', '"' + x.replace(/"/g, '""') + '" asc');

      if (controller) controller.abort();
      controller = new AbortController();
      const mine = controller;
      form.setAttribute('aria-busy', 'true');
      setStatus(labels.loading);
      try {
        const [Chart, response] = await Promise.all([
          ensureChart(),
          fetch(api + (api.includes('?') ? '&' : '?') + params.toString(), {
            headers: { Accept: 'application/json' },
            credentials: 'same-origin',
            signal: mine.signal,
          }),
        ]);
        let body = null;
        try {
          body = await response.json();
        } catch (_) {
          body = null;
        }
        if (!response.ok || !body || body.success === false || !body.result) {
          throw new Error(errorMessage(body, response.status));
        }
        if (controller !== mine) return;
        const records = Array.isArray(body.result.records) ? body.result.records : [];
        const labelsX = records.map((r) => text(r && r[x]));
        const values = records.map((r) => toNumber(r && r[y]));
        if (!values.some((v) => v !== null)) {
          if (chart) {
            chart.destroy();
            chart = null;
          }
          holder.hidden = true;
          thead.replaceChildren();
          tbody.replaceChildren();
          setStatus(labels.noValues, true);
          return;
        }
        draw(Chart, kind, xLabel, yLabel, labelsX, values);
        renderTable(xLabel, yLabel, labelsX, values);
        if (labels.canvas) {
          canvas.setAttribute('aria-label', fill(labels.canvas, { x: xLabel, y: yLabel, count: formatNumber(records.length) }));
        }
        const total = typeof body.result.total === 'number' ? body.result.total : records.length;
        setStatus(total > records.length
          ? fill(labels.truncated, { count: formatNumber(records.length), total: formatNumber(total) })
          : fill(labels.done, { count: formatNumber(records.length) }));
      } catch (error) {
        if (error && error.name === 'AbortError') return;
        setStatus(fill(labels.error, { message: error && error.message ? error.message : '' }), true);
      } finally {
        if (controller === mine) form.removeAttribute('aria-busy');
      }
    });
  }

  function init() {
    document.querySelectorAll('form.ds-chart').forEach((form) => {
      if (form.dataset.chartReady) return;
      form.dataset.chartReady = 'true';
      setup(form);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
