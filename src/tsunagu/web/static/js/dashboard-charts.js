/*
 * dashboard-charts.js — draws each dashboard chart from the accessible table beside it, with
 * the vendored Chart.js (classic script after /static/vendor/chart.js/chart.umd.js, which
 * defines window.Chart). No data of its own: what the chart shows is what the table says.
 *
 * MARKUP CONTRACT:
 *   <figure class="dash-chart"
 *           data-table="TABLE_ID"        the table to read                           required
 *           data-series="[2, 8]"         column indexes of the values, one bar per column
 *           data-horizontal="1">         bars across (long labels); optional
 *     <div class="dash-chart-canvas"><canvas role="img" aria-label="…（同じ値を表で読めます）"></canvas></div>
 *   </figure>
 *   <table id="TABLE_ID">
 *     <thead><tr><th>…</th><th data-label="series name">…</th>…</tr></thead>
 *     <tbody><tr><th scope="row" data-label="row label">…</th><td data-value="3">3</td>…</tr></tbody>
 *   </table>
 * A row's label is its first cell's data-label (else its text); a value is the cell's
 * data-value ("" or missing: no bar).
 */
(function () {
  'use strict';

  const COLORS = ['rgba(11, 78, 162, 0.85)', 'rgba(179, 38, 30, 0.8)', 'rgba(26, 107, 60, 0.85)'];
  const FONT = '"Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Yu Gothic", YuGothic, Meiryo, sans-serif';

  function label(cell) {
    if (!cell) return '';
    return (cell.dataset.label || cell.textContent || '').trim();
  }

  function value(cell) {
    const raw = cell ? cell.dataset.value : undefined;
    if (raw === undefined || raw === '') return null;
    const number = Number(raw);
    return Number.isFinite(number) ? number : null;
  }

  function draw(figure) {
    const table = document.getElementById(figure.dataset.table || '');
    const canvas = figure.querySelector('canvas');
    if (!table || !canvas || !table.tBodies.length || typeof window.Chart === 'undefined') return;
    let columns;
    try {
      columns = JSON.parse(figure.dataset.series || '[1]');
    } catch (error) {
      columns = [1];
    }
    const rows = Array.from(table.tBodies[0].rows);
    const head = table.tHead ? table.tHead.rows[0].cells : [];
    const horizontal = figure.dataset.horizontal === '1';
    const datasets = columns.map(function (column, index) {
      return {
        label: label(head[column]),
        data: rows.map(function (row) { return value(row.cells[column]); }),
        backgroundColor: COLORS[index % COLORS.length],
      };
    });
    if (horizontal) {
      // One band per row, so long lists stay readable (CSSOM, allowed by the CSP).
      const box = figure.querySelector('.dash-chart-canvas');
      if (box) box.style.height = Math.max(160, rows.length * (14 + 10 * columns.length) + 60) + 'px';
    }
    const valueAxis = { beginAtZero: true, ticks: { precision: 0, font: { family: FONT } } };
    const labelAxis = { ticks: { autoSkip: false, font: { family: FONT } } };
    new window.Chart(canvas, {
      type: 'bar',
      data: { labels: rows.map(function (row) { return label(row.cells[0]); }), datasets: datasets },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: datasets.length > 1, labels: { font: { family: FONT } } } },
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
      },
    });
  }

  function start() {
    document.querySelectorAll('figure.dash-chart').forEach(draw);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
