/*
 * ingest-status.js — follows a datastore ingest job until it completes or fails.
 * Classic script: <script src="/static/js/ingest-status.js" defer></script>. Needs no library.
 * Without JS the server-rendered text stays (the user can reload the page).
 *
 * MARKUP CONTRACT:
 *   <section class="ingest-status"
 *            data-status-url="/api/3/action/datastore_ingest_status?resource_id=RESOURCE_ID"
 *            data-label-pending="待機中"
 *            data-label-running="取り込み中：{rows} 行"
 *            data-label-complete="完了：{rows} 行"
 *            data-state="pending|running|complete|error|cancelled"  the status the server rendered
 *                                                            with; complete/error/cancelled → the
 *                                                            script does nothing
 *            data-label-error="エラー：{message}"
 *            data-label-cancelled="取り込みは取り消されました"     a job cancelled by job_cancel
 *            data-label-error-line="（{line} 行目）"                    optional, appended to {message}
 *            data-label-error-line-column="（{line} 行目、列「{column}」）" optional, appended to {message}
 *            data-label-error-column="（列「{column}」）"               optional, appended to {message}
 *            data-label-unavailable="状況を取得できません。再試行しています…"   optional
 *            data-label-progress="取り込みの進み具合"   optional: aria-label for an unlabelled <progress>
 *            aria-labelledby="…">
 *     <progress class="ingest-progress"></progress>
 *     <p class="ingest-text" aria-live="polite">待機中</p>
 *   </section>
 * The script GETs data-status-url every second (every 5 s while the tab is hidden, backing off
 * to 10 s after errors; a 404 "no job yet" counts as pending). Response: CKAN envelope whose
 * result has status pending|running|complete|error, rows_done, job_id and
 * error {message, line, column}. The progress bar is indeterminate while pending/running, full on
 * complete, hidden on error. The live text changes on every status change and, while running, at
 * most every 3 s. On complete the page reloads once (location.reload(), remembered per job in
 * sessionStorage so a page that still shows the section does not reload again) so the server
 * renders the detected columns. It waits while the user is in the middle of something on the
 * page (a file chosen, an upload under way, a field changed), saying the job is done instead
 * (data-label-complete-later): reloading then would throw their work away. The section's
 * data-state follows the job.
 */
(function () {
  'use strict';

  const INTERVAL_MS = 1000;
  const HIDDEN_INTERVAL_MS = 5000;
  const MAX_BACKOFF_MS = 10000;
  const RUNNING_TEXT_EVERY_MS = 3000;
  // States a job ends in: nothing more to follow.
  const FINISHED = ['complete', 'error', 'cancelled'];

  // Shared helpers from site.js (loaded first on every page).
  const { fill, formatNumber } = window.Tsunagu;

  function alreadyReloaded(key) {
    try {
      return window.sessionStorage.getItem(key) === '1';
    } catch (_) {
      return null; // storage unavailable
    }
  }

  function rememberReload(key) {
    try {
      window.sessionStorage.setItem(key, '1');
      return true;
    } catch (_) {
      return false;
    }
  }

  // Whether the user has changed a field of a form on this page since it loaded.
  let edited = false;
  document.addEventListener('input', (event) => {
    if (event.target && event.target.form) edited = true;
  }, true);

  function userIsBusy() {
    if (edited || document.querySelector('form[aria-busy="true"]')) return true;
    // The errors the user's last submit got (publishing refused, a field to fix): a reload
    // would take them away while they are being read.
    if (document.querySelector('.error[role="alert"]')) return true;
    return Array.from(document.querySelectorAll('input[type="file"]')).some(
      (input) => input.files && input.files.length > 0);
  }

  function setup(section) {
    const url = section.dataset.statusUrl;
    if (!url) return;
    const d = section.dataset;
    const labels = {
      pending: d.labelPending || '…',
      running: d.labelRunning || '{rows}',
      complete: d.labelComplete || '{rows}',
      error: d.labelError || '{message}',
      cancelled: d.labelCancelled || '取り込みは取り消されました',
      errorLine: d.labelErrorLine || '（{line} 行目）',
      errorLineColumn: d.labelErrorLineColumn || '（{line} 行目、列「{column}」）',
      errorColumn: d.labelErrorColumn || '（列「{column}」）',
      unavailable: d.labelUnavailable || '状況を取得できません。再試行しています…',
      progress: d.labelProgress || '取り込みの進み具合',
      completeLater: d.labelCompleteLater ||
        '取り込みが終わりました。ページを再読み込みすると結果が表示されます。',
    };
    // The server already rendered a finished job: nothing to follow.
    const initial = d.state;
    if (FINISHED.includes(initial)) return;
    const progress = section.querySelector('progress.ingest-progress');
    if (progress && !progress.hasAttribute('aria-label') && !progress.hasAttribute('aria-labelledby') &&
        !(progress.labels && progress.labels.length)) {
      progress.setAttribute('aria-label', labels.progress);
    }
    const textEl = section.querySelector('.ingest-text');
    let lastState = null;
    let lastTextAt = 0;
    let failures = 0;
    let sawIncomplete = initial === 'pending' || initial === 'running';
    let timer = 0;
    let inFlight = false;
    let notFound = 0;

    function setText(message) {
      if (!textEl || textEl.textContent === message) return;
      textEl.textContent = message;
      lastTextAt = Date.now();
    }

    function show(state, result) {
      const changed = state !== lastState;
      lastState = state;
      section.dataset.state = state;
      if (textEl) textEl.classList.toggle('is-error', state === 'error');
      const rows = formatNumber(Number(result.rows_done) || 0);
      if (progress) {
        if (state === 'complete') {
          progress.hidden = false;
          progress.max = 1;
          progress.value = 1;
        } else if (state === 'error' || state === 'cancelled') {
          progress.hidden = true;
        } else {
          progress.hidden = false;
          progress.removeAttribute('value'); // indeterminate: the total row count is unknown
        }
      }
      if (state === 'running') {
        if (changed || Date.now() - lastTextAt >= RUNNING_TEXT_EVERY_MS) setText(fill(labels.running, { rows }));
      } else if (state === 'complete') {
        setText(fill(labels.complete, { rows }));
      } else if (state === 'error') {
        const error = result.error || {};
        const hasLine = error.line !== null && error.line !== undefined && error.line !== '';
        const hasColumn = error.column !== null && error.column !== undefined && error.column !== '';
        const where = { line: hasLine ? formatNumber(error.line) : '', column: hasColumn ? String(error.column) : '' };
        let message = error.message ? String(error.message) : '';
        if (hasLine && hasColumn) message += fill(labels.errorLineColumn, where);
        else if (hasLine) message += fill(labels.errorLine, where);
        else if (hasColumn) message += fill(labels.errorColumn, where);
        setText(fill(labels.error, { message, rows }));
      } else if (state === 'cancelled') {
        setText(fill(labels.cancelled, { rows }));
      } else {
        setText(fill(labels.pending, { rows }));
      }
    }

    function schedule(delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(poll, delay);
    }

    function nextDelay() {
      if (failures) return Math.min(MAX_BACKOFF_MS, INTERVAL_MS * 2 ** failures);
      return document.hidden ? HIDDEN_INTERVAL_MS : INTERVAL_MS;
    }

    async function poll() {
      if (inFlight) return;
      inFlight = true;
      try {
        await pollOnce();
      } finally {
        inFlight = false;
      }
    }

    async function pollOnce() {
      let body = null;
      let status = 0;
      try {
        const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
        status = response.status;
        try {
          body = await response.json();
        } catch (_) {
          body = null;
        }
      } catch (_) {
        status = 0;
      }
      const result = body && body.success !== false ? body.result : null;
      if (status === 404) {
        // The job may not exist yet: count it as pending, polling more slowly after a minute.
        failures = 0;
        notFound += 1;
        show('pending', {});
        sawIncomplete = true;
        schedule(notFound > 60 ? HIDDEN_INTERVAL_MS : nextDelay());
        return;
      }
      notFound = 0;
      if (!result || status < 200 || status >= 300) {
        failures += 1;
        if (failures >= 3) setText(labels.unavailable);
        schedule(nextDelay());
        return;
      }
      failures = 0;
      const state = ['pending', 'running', ...FINISHED].includes(result.status) ? result.status : 'pending';
      show(state, result);
      if (state === 'pending' || state === 'running') {
        sawIncomplete = true;
        schedule(nextDelay());
        return;
      }
      if (state === 'complete') {
        const key = 'tsunagu:ingest-reloaded:' + (result.job_id || result.resource_id || url);
        const done = alreadyReloaded(key);
        // Reload once per job; without sessionStorage, only if this page saw the job unfinished.
        if (done === false || (done === null && sawIncomplete)) {
          if (userIsBusy()) {
            setText(labels.completeLater);
            return;
          }
          rememberReload(key);
          window.location.reload();
        }
      }
      // error, cancelled (the table before the job stays as it was), or complete after the one
      // reload: stop polling.
    }

    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && (lastState === null || lastState === 'pending' || lastState === 'running')) schedule(0);
    });
    poll();
  }

  function init() {
    document.querySelectorAll('.ingest-status').forEach((section) => {
      if (section.dataset.ingestReady) return;
      section.dataset.ingestReady = 'true';
      setup(section);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
