/*
 * batch.js — the many-files-at-once pages: a drop zone for files, and a status page that
 * follows the batch until every draft is made and every table loaded.
 * Classic script: <script src="/static/js/batch.js" defer></script>. Needs no library.
 * Without JS the file input works as it is, and the status page has a link to the latest state.
 *
 * MARKUP CONTRACTS:
 *
 * 1. Drop zone:
 *      <div class="drop-zone" data-label-selected="{n} 個のファイルを選んでいます">
 *        <input type="file" name="files" multiple> … <p class="drop-summary" aria-live="polite"></p>
 *      </div>
 *    Files dropped anywhere on the zone are added to the input (with the ones already chosen);
 *    the summary says how many are chosen and names them.
 *
 * 2. Status:
 *      <section id="batch-status" data-status-url="/api/3/action/batch_status?id=…"
 *               data-state="queued|applying|applied|failed|discarded" data-done="true|false"
 *               data-label-count="{done} / {total} 件"
 *               data-label-tables="{done} / {total} 件（エラー {failed} 件）"
 *               data-label-done="すべて終わりました。"
 *               data-label-unavailable="状況を取得できません。再試行しています…"
 *               data-ingest-labels='{"pending": "取り込み待ち", …}'>
 *        <p id="batch-state-text" aria-live="polite">…</p>
 *        <progress id="batch-datasets"></progress> <span id="batch-datasets-text"></span>
 *        <progress id="batch-tables"></progress> <span id="batch-tables-text"></span>
 *        … <span id="ingest-RESOURCE_ID" data-ingest="pending">取り込み待ち</span> …
 *      </section>
 *    Unless data-done is "true", the script GETs data-status-url every 1.5 s (5 s while the tab
 *    is hidden, backing off to 10 s after errors), with the signed-in session. When the batch's
 *    state differs from the one rendered (its drafts were just made, or it failed) the page
 *    reloads, so the server renders the new rows; otherwise the progress bars, their texts and
 *    each resource's ingest label are updated in place. Once progress.done is true the live
 *    text says data-label-done, the .batch-refresh link is hidden and polling stops.
 */
(function () {
  'use strict';

  const { fill } = window.Tsunagu;
  const INTERVAL_MS = 1500;
  const HIDDEN_INTERVAL_MS = 5000;
  const MAX_BACKOFF_MS = 10000;

  // -- 1. drop zone ---------------------------------------------------------------------------

  function describe(zone, input) {
    const summary = zone.querySelector('.drop-summary');
    if (!summary) return;
    const names = Array.from(input.files || []).map((file) => file.name);
    summary.textContent = names.length
      ? fill(zone.dataset.labelSelected || '{n}', { n: names.length }) + '：' + names.join('、')
      : '';
  }

  function setUpDropZone(zone) {
    const input = zone.querySelector('input[type="file"]');
    if (!input) return;
    input.addEventListener('change', () => describe(zone, input));
    ['dragenter', 'dragover'].forEach((type) => zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add('is-dragging');
    }));
    ['dragleave', 'dragend'].forEach((type) => zone.addEventListener(type, () => {
      zone.classList.remove('is-dragging');
    }));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('is-dragging');
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      const all = new DataTransfer();
      Array.from(input.files || []).forEach((file) => all.items.add(file));
      Array.from(event.dataTransfer.files).forEach((file) => all.items.add(file));
      input.files = all.files;
      describe(zone, input);
    });
  }

  document.querySelectorAll('.drop-zone').forEach(setUpDropZone);

  // -- 2. status ------------------------------------------------------------------------------

  const section = document.getElementById('batch-status');
  if (!section || section.dataset.done === 'true') return;

  const stateText = document.getElementById('batch-state-text');
  const stateShown = stateText ? stateText.textContent.trim() : '';
  let ingestLabels = {};
  try {
    ingestLabels = JSON.parse(section.dataset.ingestLabels || '{}');
  } catch (_) {
    ingestLabels = {};
  }
  let failures = 0;

  function setBar(id, value, max, text) {
    const bar = document.getElementById(id);
    const label = document.getElementById(id + '-text');
    if (bar) {
      bar.max = Math.max(max, 1);
      bar.value = value;
    }
    if (label) label.textContent = text;
  }

  function show(batch) {
    const p = batch.progress;
    setBar('batch-datasets', p.datasets, p.rows,
      fill(section.dataset.labelCount, { done: p.datasets, total: p.rows }));
    setBar('batch-tables', p.loaded + p.failed, p.tables,
      fill(section.dataset.labelTables, { done: p.loaded + p.failed, total: p.tables, failed: p.failed }));
    batch.rows.forEach((row) => {
      ((row.result && row.result.resources) || []).forEach((resource) => {
        const cell = document.getElementById('ingest-' + resource.id);
        if (!cell || cell.dataset.ingest === resource.ingest) return;
        cell.dataset.ingest = resource.ingest;
        cell.className = 'ingest ingest-' + resource.ingest;
        cell.textContent = ingestLabels[resource.ingest] || resource.ingest;
      });
    });
    if (stateText) {
      stateText.textContent = p.done ? stateShown + ' ' + section.dataset.labelDone : stateShown;
    }
    if (p.done) {
      section.dataset.done = 'true';
      const refresh = section.querySelector('.batch-refresh');
      if (refresh) refresh.hidden = true;  // nothing more will change
    }
  }

  function next() {
    if (section.dataset.done === 'true') return;
    const wait = failures
      ? Math.min(INTERVAL_MS * 2 ** failures, MAX_BACKOFF_MS)
      : (document.hidden ? HIDDEN_INTERVAL_MS : INTERVAL_MS);
    window.setTimeout(poll, wait);
  }

  function poll() {
    fetch(section.dataset.statusUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((body) => {
        failures = 0;
        const batch = body.result;
        if (batch.state !== section.dataset.state) {
          window.location.reload();
          return;
        }
        show(batch);
        next();
      })
      .catch(() => {
        failures += 1;
        if (stateText && section.dataset.labelUnavailable) {
          stateText.textContent = section.dataset.labelUnavailable;
        }
        next();
      });
  }

  next();
}());
