/*
 * upload.js — file upload with a progress bar and in-place field errors.
 * Classic script: <script src="/static/js/upload.js" defer></script>. Needs no library.
 * Without JS the form posts normally and the server renders the next page (or the errors).
 *
 * MARKUP CONTRACT:
 *   <form class="upload-form" method="post" enctype="multipart/form-data" action="/staff/…"
 *         id="upload-form"                                          optional; used in error ids
 *         data-label-uploading="アップロード中… {percent}%"
 *         data-label-done="アップロードしました。取り込みを開始します。"
 *         data-label-error="アップロードできませんでした（{status}）"     optional
 *         data-label-invalid="入力内容を確認してください"                 optional (form-level)
 *         data-label-progress="アップロードの進み具合">                   optional: aria-label given to
 *                                                                           the <progress> if it has no label
 *     <input type="hidden" name="csrf_token" value="…">
 *     <label for="upload-file">ファイル</label>
 *     <input type="file" id="upload-file" name="upload" aria-describedby="upload-file-hint">
 *     … other fields, each with a <label> …
 *     <button type="submit">アップロード</button>
 *     <progress class="upload-progress" max="100" value="0" hidden></progress>
 *     <p class="upload-status" aria-live="polite"></p>
 *   </form>
 * The script sends new FormData(form) (plus the submit button's name=value) with XMLHttpRequest to
 * the form's action attribute with its method, header "Accept: application/json". Server replies:
 *   2xx {"redirect": "/…"}                      → status shows data-label-done, then navigates
 *                                                  (same-origin URLs only);
 *   400/409 {"errors": {"field": ["message"]}}  → for each field named in the form: a
 *        <p class="field-error" id="FORMID-FIELD-error"> after the input (after its <label> when
 *        the input is inside one, after its parent <p> when the field is <p><label/> <input></p>;
 *        at the end of the <fieldset> for radios/checkboxes), aria-invalid="true" and the id added
 *        to aria-describedby (FORMID is the form's id, else upload-form-N); the
 *        first invalid field gets focus. Errors for names not in the form (or hidden inputs) go
 *        into .upload-status. CKAN-style {"error": {"message": …}} is shown there too.
 *   anything else                               → data-label-error with {status}.
 * Previous errors (.field-error in the form, server-rendered ones included) are cleared on submit.
 * While uploading the form has aria-busy="true" and further submits are ignored.
 */
(function () {
  'use strict';

  let counter = 0;

  // Shared helpers from site.js (loaded first on every page).
  const { fill } = window.Tsunagu;

  function idPart(value) {
    return String(value).replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'field';
  }

  function describedBy(element, id, add) {
    const ids = (element.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
      .filter((existing) => existing !== id);
    if (add) ids.push(id);
    if (ids.length) element.setAttribute('aria-describedby', ids.join(' '));
    else element.removeAttribute('aria-describedby');
  }

  function sameOriginUrl(url) {
    try {
      const resolved = new URL(url, window.location.href);
      return resolved.origin === window.location.origin ? resolved.href : null;
    } catch (_) {
      return null;
    }
  }

  function setup(form) {
    counter += 1;
    const formKey = form.id ? idPart(form.id) : 'upload-form-' + counter;
    const d = form.dataset;
    const labels = {
      uploading: d.labelUploading || '{percent}%',
      done: d.labelDone || '',
      error: d.labelError || 'アップロードできませんでした（{status}）',
      invalid: d.labelInvalid || '入力内容を確認してください',
      progress: d.labelProgress || 'アップロードの進み具合',
    };
    const progress = form.querySelector('progress.upload-progress');
    const status = form.querySelector('.upload-status');
    if (progress && !progress.hasAttribute('aria-label') && !progress.hasAttribute('aria-labelledby') &&
        !(progress.labels && progress.labels.length)) {
      progress.setAttribute('aria-label', labels.progress);
    }
    let busy = false;

    function setStatus(message, isError) {
      if (!status) return;
      status.textContent = message;
      status.classList.toggle('is-error', Boolean(isError));
    }

    function clearErrors() {
      form.querySelectorAll('.field-error').forEach((p) => {
        if (p.id) {
          form.querySelectorAll('[aria-describedby]').forEach((el) => describedBy(el, p.id, false));
        }
        p.remove();
      });
      form.querySelectorAll('[aria-invalid="true"]').forEach((el) => el.removeAttribute('aria-invalid'));
      setStatus('');
    }

    function fieldElement(name) {
      const item = form.elements.namedItem(name);
      if (!item) return null;
      const element = typeof RadioNodeList !== 'undefined' && item instanceof RadioNodeList ? item[0] : item;
      if (!element || element.type === 'hidden') return null;
      return element;
    }

    function showErrors(errors) {
      const loose = [];
      let first = null;
      for (const [name, raw] of Object.entries(errors || {})) {
        if (name.startsWith('__')) continue;
        const messages = (Array.isArray(raw) ? raw : [raw]).map(String).filter(Boolean);
        if (!messages.length) continue;
        const element = fieldElement(name);
        if (!element) {
          loose.push(...messages);
          continue;
        }
        const p = document.createElement('p');
        p.className = 'field-error';
        p.id = formKey + '-' + idPart(name) + '-error';
        p.textContent = messages.join(' ');
        const group = element.type === 'radio' || element.type === 'checkbox' ? element.closest('fieldset') : null;
        // After the input; after its <label> when it sits inside one, and after its <p> when the
        // field is written as <p><label>…</label> <input></p> (a <p> cannot hold a <p>).
        const parent = element.parentElement;
        const anchor = element.closest('label') || (parent && parent.tagName === 'P' ? parent : element);
        if (group) group.appendChild(p);
        else anchor.insertAdjacentElement('afterend', p);
        const targets = element.type === 'radio' || element.type === 'checkbox'
          ? Array.from(form.querySelectorAll('[name="' + CSS.escape(name) + '"]'))
          : [element];
        targets.forEach((target) => {
          target.setAttribute('aria-invalid', 'true');
          describedBy(target, p.id, true);
        });
        if (!first) first = element;
      }
      setStatus(loose.length ? loose.join(' ') : labels.invalid, true);
      if (first) first.focus();
    }

    function finish() {
      busy = false;
      form.removeAttribute('aria-busy');
    }

    form.addEventListener('submit', (event) => {
      if (typeof XMLHttpRequest === 'undefined' || typeof FormData === 'undefined') return;
      event.preventDefault();
      if (busy) return;
      busy = true;
      clearErrors();

      const data = new FormData(form);
      const submitter = event.submitter;
      if (submitter && submitter.name && !data.has(submitter.name)) data.append(submitter.name, submitter.value);

      // getAttribute, not form.action/form.method: a control named "action" would shadow them.
      const action = new URL(form.getAttribute('action') || window.location.href, document.baseURI).href;
      const xhr = new XMLHttpRequest();
      xhr.open((form.getAttribute('method') || 'post').toUpperCase(), action);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.responseType = 'text';
      form.setAttribute('aria-busy', 'true');
      if (progress) {
        progress.hidden = false;
        progress.max = 100;
        progress.value = 0;
      }
      let announced = -1;
      setStatus(fill(labels.uploading, { percent: 0 }));
      xhr.upload.addEventListener('progress', (e) => {
        if (!e.lengthComputable) return;
        const percent = Math.min(100, Math.floor((e.loaded / e.total) * 100));
        if (progress) progress.value = percent;
        // Rewrite the live text every 10 %, not on every event, so screen readers are not flooded.
        const step = Math.floor(percent / 10);
        if (step !== announced) {
          announced = step;
          setStatus(fill(labels.uploading, { percent }));
        }
      });
      xhr.addEventListener('load', () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (_) {
          body = null;
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          const target = body && typeof body.redirect === 'string' ? sameOriginUrl(body.redirect) : null;
          if (progress) progress.value = 100;
          setStatus(labels.done || fill(labels.uploading, { percent: 100 }));
          if (target) {
            window.location.assign(target);
            return; // stay busy: the page is going away
          }
          if (!body && xhr.responseURL && sameOriginUrl(xhr.responseURL) && xhr.responseURL !== action) {
            // The server answered with a redirect to an HTML page: go there.
            window.location.assign(xhr.responseURL);
            return;
          }
          finish();
          return;
        }
        if (progress) progress.hidden = true;
        if (body && body.errors && typeof body.errors === 'object') {
          showErrors(body.errors);
        } else if (body && body.error && typeof body.error === 'object') {
          const { message, ...fields } = body.error;
          if (Object.keys(fields).some((k) => !k.startsWith('__'))) showErrors(fields);
          if (message) setStatus(String(message), true);
        } else {
          setStatus(fill(labels.error, { status: xhr.status }), true);
        }
        finish();
      });
      const failed = () => {
        if (progress) progress.hidden = true;
        setStatus(fill(labels.error, { status: xhr.status || '—' }), true);
        finish();
      };
      xhr.addEventListener('error', failed);
      xhr.addEventListener('abort', failed);
      xhr.addEventListener('timeout', failed);
      xhr.send(data);
    });
  }

  function init() {
    document.querySelectorAll('form.upload-form').forEach((form) => {
      if (form.dataset.uploadReady) return;
      form.dataset.uploadReady = 'true';
      setup(form);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
