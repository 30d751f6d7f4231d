/*
 * dataset-form.js — the URL name on the staff dataset form, suggested from the title and
 * checked as one types.
 * Classic script: <script src="/static/js/dataset-form.js" defer></script>. Needs no library.
 * Without JS the server fills an empty name from the title when the form is saved.
 *
 * MARKUP CONTRACT (staff/_dataset_fields.html):
 *   <input id="f-title" name="title">
 *   <select id="f-org" name="owner_org">                        optional: names go first
 *   <input id="f-name" class="name-input"
 *          data-suggest-url="/api/3/action/package_name_suggest"
 *          data-check-url="/api/3/action/package_name_check"
 *          data-dataset-id="…"                                 the dataset being edited, or ""
 *          data-label-suggested="… {name} …" data-label-available="… {name} …"
 *          data-label-checking="…" data-label-use="… {name} …">
 *   <p id="f-name-status" aria-live="polite"></p>
 * While the name field is empty or still holds the last suggestion, typing a title fills it
 * with a suggestion (package_name_suggest), unless the name field has the focus. Typing in the name field checks it
 * (package_name_check) and shows why a name cannot be used, with a button to take the free
 * name offered instead. Both are GET reads with the signed-in session (no token needed).
 */
(function () {
  'use strict';

  var DELAY = 350;

  function fill(template, name) {
    return (template || '').replace('{name}', name);
  }

  function init(input) {
    var title = document.getElementById('f-title');
    var org = document.getElementById('f-org');
    var status = document.getElementById('f-name-status');
    if (!title || !status) return;
    var datasetId = input.getAttribute('data-dataset-id') || '';
    var suggested = '';
    var timer = null;
    var sequence = 0;

    function call(url, params) {
      var query = new URLSearchParams(params).toString();
      return fetch(url + '?' + query, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      }).then(function (response) {
        return response.json();
      });
    }

    function show(text, offer) {
      status.textContent = text;
      status.classList.remove('is-error');
      if (offer) {
        status.classList.add('is-error');
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'button-small button-secondary';
        button.textContent = fill(input.getAttribute('data-label-use'), offer);
        button.addEventListener('click', function () {
          input.value = offer;
          suggested = offer;
          show(fill(input.getAttribute('data-label-available'), offer));
          input.focus();
        });
        status.appendChild(document.createTextNode(' '));
        status.appendChild(button);
      }
    }

    function params(extra) {
      if (datasetId) extra.id = datasetId;
      return extra;
    }

    function suggest() {
      var text = title.value.trim();
      if (!text) return;
      var mine = ++sequence;
      var query = params({ title: text });
      if (org && org.value) query.owner_org = org.value;
      call(input.getAttribute('data-suggest-url'), query).then(function (body) {
        if (mine !== sequence || !body.success) return;
        // Only while the field is empty or untouched since the last suggestion.
        if (input.value && input.value !== suggested) return;
        suggested = body.result.name;
        input.value = suggested;
        show(fill(input.getAttribute('data-label-suggested'), suggested));
      }).catch(function () {});
    }

    function check() {
      var name = input.value.trim();
      if (!name) {
        status.textContent = '';
        return;
      }
      var mine = ++sequence;
      show(input.getAttribute('data-label-checking'));
      call(input.getAttribute('data-check-url'), params({ name: name })).then(function (body) {
        if (mine !== sequence || !body.success) return;
        var result = body.result;
        if (result.available) {
          show(fill(input.getAttribute('data-label-available'), result.name));
        } else {
          show(result.reason, result.suggestion);
        }
      }).catch(function () {});
    }

    function later(fn) {
      return function () {
        clearTimeout(timer);
        timer = setTimeout(fn, DELAY);
      };
    }

    title.addEventListener('input', later(suggest));
    if (org) org.addEventListener('change', later(suggest));
    input.addEventListener('input', later(check));
    // Someone about to type a name: a suggestion landing now would be typed onto (the caret at
    // its end), so pending and unanswered ones are dropped; left empty, the field is offered
    // one again.
    input.addEventListener('focus', function () {
      clearTimeout(timer);
      sequence++;
    });
    input.addEventListener('blur', function () {
      if (!input.value.trim()) suggest();
    });
    if (!input.value && title.value) suggest();
  }

  document.querySelectorAll('input.name-input').forEach(init);
})();
