/* Verification queue: single-key shortcuts, evidence toggles, bulk selection, and the
   "a rejection needs a note" check. Works without it too: every action is a plain form. */
(function () {
  "use strict";

  function rowsOf(form) {
    return Array.prototype.slice.call(form.querySelectorAll(".queue-item"));
  }

  function boxOf(item) {
    return item.querySelector('input[type="checkbox"][name="fitment"]');
  }

  function toggleEvidence(item, force) {
    var panel = item.querySelector(".evidence-row");
    var button = item.querySelector(".evidence-toggle");
    if (!panel) return;
    var show = force === undefined ? panel.hidden : force;
    panel.hidden = !show;
    if (button) button.setAttribute("aria-expanded", show ? "true" : "false");
  }

  function noteOf(form) {
    return form.querySelector('textarea[name="note"]');
  }

  function wire(form, withKeys) {
    var items = rowsOf(form);
    var current = 0;
    var pending = null;

    function highlight(index) {
      if (!items.length) return;
      current = Math.max(0, Math.min(items.length - 1, index));
      items.forEach(function (item, i) {
        item.classList.toggle("active", i === current);
      });
      items[current].scrollIntoView({ block: "nearest" });
    }

    function selected() {
      return items.filter(function (item) {
        var box = boxOf(item);
        return box && box.checked;
      });
    }

    function hint(text) {
      var note = noteOf(form);
      if (!note) return;
      note.classList.toggle("is-invalid", !!text);
      note.setAttribute("placeholder", text || "Note (required to reject: why it does not fit)");
    }

    function submit(action) {
      if (!selected().length && items.length) {
        boxOf(items[current]).checked = true;
      }
      if (!selected().length) return;
      var note = noteOf(form);
      if (action === "reject" && note && !note.value.trim()) {
        pending = "reject";
        hint("Why does it not fit? Type it, then press Enter.");
        note.focus();
        return;
      }
      var button = form.querySelector('button[name="action"][value="' + action + '"]');
      if (form.requestSubmit && button) {
        form.requestSubmit(button);
      } else {
        var field = document.createElement("input");
        field.type = "hidden";
        field.name = "action";
        field.value = action;
        form.appendChild(field);
        form.submit();
      }
    }

    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      var note = noteOf(form);
      if (submitter && submitter.value === "reject" && note && !note.value.trim()) {
        event.preventDefault();
        pending = "reject";
        hint("Why does it not fit? A rejection needs a note.");
        note.focus();
      }
    });

    var all = form.querySelector(".select-all");
    if (all) {
      all.addEventListener("change", function () {
        items.forEach(function (item) {
          boxOf(item).checked = all.checked;
        });
      });
    }

    items.forEach(function (item, i) {
      var button = item.querySelector(".evidence-toggle");
      if (button) {
        button.addEventListener("click", function () {
          toggleEvidence(item);
        });
      }
      item.addEventListener("click", function () {
        if (withKeys) highlight(i);
      });
    });

    var note = noteOf(form);
    if (note) {
      note.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && pending) {
          event.preventDefault();
          var action = pending;
          pending = null;
          if (note.value.trim()) {
            hint("");
            submit(action);
          }
        } else if (event.key === "Escape") {
          pending = null;
          hint("");
          note.blur();
        }
      });
    }

    if (!withKeys) return;
    highlight(0);
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
      if (tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable) {
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var item = items[current];
      switch (event.key) {
        case "j":
        case "ArrowDown":
          highlight(current + 1);
          break;
        case "k":
        case "ArrowUp":
          highlight(current - 1);
          break;
        case "x":
        case " ":
          if (item) boxOf(item).checked = !boxOf(item).checked;
          break;
        case "a":
          var every = selected().length !== items.length;
          items.forEach(function (row) {
            boxOf(row).checked = every;
          });
          if (all) all.checked = every;
          break;
        case "e":
          if (item) toggleEvidence(item);
          break;
        case "v":
          submit("verify");
          break;
        case "n":
          submit("needs_review");
          break;
        case "r":
          submit("reject");
          break;
        case "]":
          var next = form.getAttribute("data-next-page");
          if (next) window.location.assign(next);
          break;
        case "Escape":
          pending = null;
          hint("");
          break;
        default:
          return;
      }
      event.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form.queue-form");
    Array.prototype.forEach.call(forms, function (form) {
      wire(form, form.id === "queue-form");
    });
  });
})();
