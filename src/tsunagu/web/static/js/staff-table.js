/*
 * staff-table.js — the staff dataset table (/staff/datasets): "select all on this page", the
 * count of selected datasets, and only the parameter fields of the chosen bulk operation.
 * Classic script: <script src="/static/js/staff-table.js" defer></script>. Needs no library.
 * Without JS every row checkbox still works, every parameter field is shown, and the server
 * ignores the fields the chosen operation does not use.
 *
 * MARKUP CONTRACT:
 *   <form id="bulk-form">
 *     <p class="bulk-count" aria-live="polite" hidden data-label-count="{n} 件を選択中"></p>
 *     <select name="choice" data-bulk-choice>…</select>
 *     <p data-bulk-for="move">…</p>                      shown only for the listed choices
 *     <table>
 *       <thead>… <input type="checkbox" class="select-all" hidden aria-label="…"> …</thead>
 *       <tbody>… <input type="checkbox" name="dataset" value="…"> …</tbody>
 *     </table>
 *   </form>
 * The select-all box is unhidden, checks or clears every row box, and shows as mixed when only
 * some are checked. The count is announced politely as the selection changes.
 */
(function () {
  'use strict';

  const form = document.getElementById('bulk-form');
  if (!form) {
    return;
  }
  const all = form.querySelector('.select-all');
  const count = form.querySelector('.bulk-count');
  const rows = Array.from(form.querySelectorAll('tbody input[type="checkbox"][name="dataset"]'));
  const choice = form.querySelector('[data-bulk-choice]');

  function update() {
    const checked = rows.filter((box) => box.checked).length;
    if (all) {
      all.checked = rows.length > 0 && checked === rows.length;
      all.indeterminate = checked > 0 && checked < rows.length;
    }
    if (count) {
      count.textContent = window.Tsunagu.fill(count.dataset.labelCount || '{n}', {
        n: window.Tsunagu.formatNumber(checked),
      });
      count.hidden = false;
    }
  }

  if (all && rows.length) {
    all.hidden = false;
    all.addEventListener('change', () => {
      rows.forEach((box) => {
        box.checked = all.checked;
      });
      update();
    });
  }
  rows.forEach((box) => box.addEventListener('change', update));

  function showFields() {
    const value = choice.value;
    form.querySelectorAll('[data-bulk-for]').forEach((field) => {
      field.hidden = !field.dataset.bulkFor.split(' ').includes(value);
    });
  }
  if (choice) {
    choice.addEventListener('change', showFields);
    showFields();
  }
  update();
})();
