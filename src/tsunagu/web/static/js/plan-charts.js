/*
 * plan-charts.js — each indicator's trend on the plan dashboard, drawn with the vendored Chart.js
 * (classic script after /static/vendor/chart.js/chart.umd.js) from the accessible table beside
 * it: what the chart shows is what the table says. Charts are drawn as they scroll into view, so
 * a plan of a hundred indicators opens at once.
 *
 * MARKUP CONTRACT:
 *   <figure class="plan-chart" data-table="TABLE_ID">
 *     <canvas role="img" aria-label="…（同じ値を表で読めます）"></canvas>
 *   </figure>
 *   <table id="TABLE_ID">
 *     <thead><tr><th>年度</th><th data-series="actual">実績</th><th data-series="expected">…</th>
 *                <th data-series="target">…</th></tr></thead>
 *     <tbody><tr><th scope="row">R2年度</th><td data-value="152">152</td>…</tr></tbody>
 *   </table>
 * A value is the cell's data-value ("" or missing: no point that year).
 */
(function () {
  'use strict';

  const FONT = '"Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Yu Gothic", YuGothic, Meiryo, sans-serif';
  // Told apart by line style and point shape too, never by colour alone.
  const STYLES = {
    actual: { borderColor: 'rgb(11, 78, 162)', backgroundColor: 'rgb(11, 78, 162)', pointStyle: 'circle', pointRadius: 4, borderWidth: 2 },
    expected: { borderColor: 'rgb(90, 90, 90)', backgroundColor: 'rgb(90, 90, 90)', borderDash: [6, 4], pointStyle: 'triangle', pointRadius: 3, borderWidth: 1.5 },
    target: { borderColor: 'rgb(179, 38, 30)', backgroundColor: 'rgb(179, 38, 30)', pointStyle: 'rectRot', pointRadius: 7, showLine: false },
    baseline: { borderColor: 'rgb(26, 107, 60)', backgroundColor: 'rgb(26, 107, 60)', pointStyle: 'rect', pointRadius: 6, showLine: false },
  };

  function number(cell) {
    const raw = cell ? cell.dataset.value : undefined;
    if (raw === undefined || raw === '') return null;
    const value = Number(raw);
    return Number.isFinite(value) ? value : null;
  }

  function draw(figure) {
    const table = document.getElementById(figure.dataset.table || '');
    const canvas = figure.querySelector('canvas');
    if (!table || !canvas || !table.tHead || !table.tBodies.length || typeof window.Chart === 'undefined') return;
    const rows = Array.from(table.tBodies[0].rows);
    const head = Array.from(table.tHead.rows[0].cells);
    const datasets = [];
    head.forEach(function (cell, index) {
      const series = cell.dataset.series;
      if (!series) return;
      const data = rows.map(function (row) { return number(row.cells[index]); });
      if (data.every(function (v) { return v === null; })) return;
      datasets.push(Object.assign({ label: cell.textContent.trim(), data: data, spanGaps: true }, STYLES[series] || {}));
    });
    if (!datasets.length) {
      figure.hidden = true; // nothing numeric to draw: the table says it all
      return;
    }
    new window.Chart(canvas, {
      type: 'line',
      data: { labels: rows.map(function (row) { return row.cells[0].textContent.trim(); }), datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { labels: { usePointStyle: true, font: { family: FONT } } } },
        scales: {
          x: { ticks: { font: { family: FONT } } },
          y: { beginAtZero: true, ticks: { font: { family: FONT } } },
        },
      },
    });
  }

  function start() {
    const figures = Array.from(document.querySelectorAll('figure.plan-chart'));
    if (!('IntersectionObserver' in window)) {
      figures.forEach(draw);
      return;
    }
    const observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        draw(entry.target);
      });
    }, { rootMargin: '200px' });
    figures.forEach(function (figure) { observer.observe(figure); });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
