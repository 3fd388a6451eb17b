// Gatehouse front-end behaviour.
//
// Loaded with `defer` under a CSP of `script-src 'self'`: no inline handlers
// and no eval. All listeners are delegated from the document.
(function () {
  "use strict";

  // copyText writes text to the clipboard, falling back to a hidden
  // textarea and execCommand where the async Clipboard API is unavailable
  // (for example over plain HTTP on a non-localhost address).
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(area);
      if (ok) {
        resolve();
      } else {
        reject(new Error("copy failed"));
      }
    });
  }

  // flashLabel shows a short message on the button, then restores it.
  function flashLabel(button, label) {
    if (!button.dataset.label) {
      button.dataset.label = button.textContent;
    }
    button.textContent = label;
    button.classList.add("is-copied");
    window.clearTimeout(Number(button.dataset.timer || 0));
    var timer = window.setTimeout(function () {
      button.textContent = button.dataset.label;
      button.classList.remove("is-copied");
      delete button.dataset.timer;
    }, 1500);
    button.dataset.timer = String(timer);
  }

  // (a) Copy buttons: <button data-copy-target="ID"> copies #ID's text.
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var button = target.closest("button[data-copy-target]");
    if (!button) {
      return;
    }
    event.preventDefault();
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) {
      return;
    }
    copyText(source.textContent.trim()).then(
      function () {
        flashLabel(button, "Copied");
      },
      function () {
        flashLabel(button, "Copy failed");
      }
    );
  });

  // (b) Two-step confirmations (views.ConfirmButton) are <details>, so they work
  // without script; Escape closes an open one and gives focus back to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var open = event.target instanceof Element ? event.target.closest("details.confirm[open]") : null;
    if (open) {
      open.open = false;
      var summary = open.querySelector("summary");
      if (summary) {
        summary.focus();
      }
    }
  });

  // (c) Dependent fieldsets: <select data-toggles-fieldsets="G"> shows and enables the
  // <fieldset data-fieldset-group="G" data-for-value="V"> whose V is the selected
  // value, and hides and disables the others (so they are not submitted). The server
  // renders the same state for the initially selected value, so this only follows
  // changes (and a value the browser restored).
  function syncFieldsets(select) {
    var group = select.getAttribute("data-toggles-fieldsets");
    var sets = document.querySelectorAll('fieldset[data-fieldset-group="' + group + '"]');
    for (var i = 0; i < sets.length; i++) {
      var on = sets[i].getAttribute("data-for-value") === select.value;
      sets[i].disabled = !on;
      sets[i].hidden = !on;
    }
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-toggles-fieldsets")) {
      syncFieldsets(target);
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var selects = document.querySelectorAll("select[data-toggles-fieldsets]");
    for (var i = 0; i < selects.length; i++) {
      syncFieldsets(selects[i]);
    }
  });
})();
