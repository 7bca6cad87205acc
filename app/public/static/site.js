/* MotoPartPicker: the site's only script, and an optional one (progressive enhancement).
 *
 * Every page works without it. With it:
 *  - the bike picker suggests models and years as you type (an ARIA 1.2 combobox fed by
 *    the public JSON API, /api/v1/...),
 *  - "my garage" remembers bikes in this browser (localStorage, no account), and
 *  - part pages say whether the part is verified to fit a bike in the garage.
 *
 * Loaded with `defer` from our own origin: the CSP allows no inline script, and this file
 * sets no inline handlers. No dependencies; written for current browsers.
 */
(function () {
  "use strict";

  var GARAGE_KEY = "mpp.garage";
  var GARAGE_MAX = 5;
  var SUGGESTIONS_MAX = 8;

  /* ------------------------------------------------------------ helpers */

  function key(text) {
    // The server's name key: lower case, letters and digits only ("CBR 600-RR" -> "cbr600rr").
    return String(text || "").toLowerCase().normalize("NFKD").replace(/[^0-9a-z]+/g, "");
  }

  function fetchAll(url, limitPages) {
    // Follow the API's cursor pages (`next`) up to `limitPages`; resolves to all items.
    var items = [];
    function page(next, left) {
      return fetch(next, { headers: { Accept: "application/json" }, credentials: "omit" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (body) {
          items = items.concat(body.data || []);
          if (body.next && left > 1) { return page(body.next, left - 1); }
          return items;
        });
    }
    return page(url, limitPages || 10);
  }

  /* ------------------------------------------------------------ garage */

  function readGarage() {
    try {
      var bikes = JSON.parse(window.localStorage.getItem(GARAGE_KEY) || "[]");
      return Array.isArray(bikes) ? bikes.filter(function (b) {
        return b && typeof b.bike === "string" && typeof b.label === "string" &&
          typeof b.url === "string" && b.url.charAt(0) === "/" && b.url.charAt(1) !== "/";
      }) : [];
    } catch (error) {
      return [];
    }
  }

  function writeGarage(bikes) {
    try {
      window.localStorage.setItem(GARAGE_KEY, JSON.stringify(bikes.slice(0, GARAGE_MAX)));
    } catch (error) { /* private mode or storage full: the garage is a nicety */ }
  }

  function inGarage(bike) {
    return readGarage().some(function (b) { return b.bike === bike; });
  }

  function setupSaveButton(button) {
    var bike = button.getAttribute("data-bike");
    function render() {
      var saved = inGarage(bike);
      button.textContent = saved ? "Saved in my garage \u2713" : "Save to my garage";
      button.setAttribute("aria-pressed", saved ? "true" : "false");
    }
    button.hidden = false;
    render();
    button.addEventListener("click", function () {
      var bikes = readGarage().filter(function (b) { return b.bike !== bike; });
      if (!inGarage(bike)) {
        bikes.unshift({
          bike: bike,
          label: button.getAttribute("data-label"),
          url: button.getAttribute("data-url")
        });
      }
      writeGarage(bikes);
      render();
      renderGarageNav();
    });
  }

  function renderGarageNav() {
    var has = readGarage().length > 0;
    document.querySelectorAll("[data-garage-nav]").forEach(function (link) { link.hidden = !has; });
  }

  function renderGaragePanel(panel) {
    var list = panel.querySelector("[data-garage-list]");
    var bikes = readGarage();
    panel.hidden = bikes.length === 0;
    list.textContent = "";
    bikes.forEach(function (b) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = b.url;
      link.textContent = b.label;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button--quiet";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", "Remove " + b.label + " from my garage");
      remove.addEventListener("click", function () {
        writeGarage(readGarage().filter(function (other) { return other.bike !== b.bike; }));
        renderGaragePanel(panel);
        renderGarageNav();
      });
      item.appendChild(link);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function renderBadge(badge) {
    var bikes = readGarage().slice(0, 3);
    if (!bikes.length) { return; }
    var fits = {};
    document.querySelectorAll("[data-fit-bike]").forEach(function (item) {
      fits[item.getAttribute("data-fit-bike")] =
        (item.getAttribute("data-fit-years") || "").split(" ");
    });
    badge.textContent = "";
    bikes.forEach(function (b) {
      var parts = b.bike.split("/");
      var years = fits[parts[0] + "/" + parts[1]] || [];
      var ok = years.indexOf(parts[2]) !== -1;
      var line = document.createElement("span");
      line.className = "garage-badge__line " + (ok ? "garage-badge__line--fits" : "garage-badge__line--unknown");
      line.textContent = ok ?
        "\u2713 Fits your " + b.label + " (verified)" :
        "Not verified for your " + b.label;
      badge.appendChild(line);
    });
    badge.hidden = false;
  }

  /* ------------------------------------------------------------ type-ahead */

  var comboCount = 0;

  function Combobox(input, source) {
    // ARIA 1.2 combobox: the input owns a listbox; arrows move, Enter picks, Escape closes.
    this.input = input;
    this.source = source; // function () -> array of {label, value}
    this.options = [];
    this.active = -1;
    var id = "combo-" + (++comboCount);
    this.list = document.createElement("ul");
    this.list.id = id + "-list";
    this.list.className = "combo__list";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", (input.labels && input.labels[0] ?
      input.labels[0].textContent.trim() : "Suggestions") + " suggestions");
    this.list.hidden = true;
    input.parentNode.appendChild(this.list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.list.id);
    var self = this;
    input.addEventListener("input", function () { self.update(); });
    input.addEventListener("focus", function () { self.update(); });
    input.addEventListener("keydown", function (event) { self.keydown(event); });
    input.addEventListener("blur", function () {
      window.setTimeout(function () { self.close(); }, 150);
    });
  }

  Combobox.prototype.update = function () {
    var typed = key(this.input.value);
    var all = this.source();
    this.options = all.filter(function (option) {
      return !typed || key(option.label).indexOf(typed) !== -1;
    }).slice(0, SUGGESTIONS_MAX);
    if (this.options.length === 1 && key(this.options[0].label) === typed) { this.options = []; }
    this.active = -1;
    this.render();
  };

  Combobox.prototype.render = function () {
    var self = this;
    this.list.textContent = "";
    this.options.forEach(function (option, index) {
      var item = document.createElement("li");
      item.id = self.list.id + "-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", index === self.active ? "true" : "false");
      item.textContent = option.label;
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();
        self.choose(index);
      });
      self.list.appendChild(item);
    });
    var open = this.options.length > 0;
    this.list.hidden = !open;
    this.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (this.active >= 0) {
      this.input.setAttribute("aria-activedescendant", this.list.id + "-" + this.active);
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Combobox.prototype.keydown = function (event) {
    if (this.list.hidden && event.key !== "ArrowDown") { return; }
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (this.list.hidden) { this.update(); return; }
      this.active = (this.active + 1) % this.options.length;
      this.render();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      this.active = this.active <= 0 ? this.options.length - 1 : this.active - 1;
      this.render();
    } else if (event.key === "Enter" && this.active >= 0) {
      event.preventDefault();
      this.choose(this.active);
    } else if (event.key === "Escape") {
      this.close();
    }
  };

  Combobox.prototype.choose = function (index) {
    var option = this.options[index];
    if (!option) { return; }
    this.input.value = option.value;
    this.close();
    this.input.dispatchEvent(new Event("change", { bubbles: true }));
  };

  Combobox.prototype.close = function () {
    this.options = [];
    this.active = -1;
    this.render();
  };

  function setupPicker(form) {
    var api = form.getAttribute("data-api"); // /api/v1/makes
    var make = form.querySelector("select[name=make]");
    var model = form.querySelector("[data-suggest=models]");
    var year = form.querySelector("[data-suggest=years]");
    if (!api || !make || !model || !year) { return; }
    var models = [];
    var years = [];
    var modelsFor = "";
    var yearsFor = "";
    var modelCombo = new Combobox(model, function () {
      return models.map(function (m) { return { label: m.name, value: m.name }; });
    });
    var yearCombo = new Combobox(year, function () {
      return years.map(function (y) { return { label: String(y), value: String(y) }; });
    });

    function refresh(combo) {
      // Suggestions arrived while the rider was already typing: show them now.
      if (document.activeElement === combo.input) { combo.update(); }
    }

    function loadModels() {
      var slug = make.value;
      if (!slug || slug === modelsFor) { return; }
      modelsFor = slug;
      models = [];
      fetchAll(api + "/" + encodeURIComponent(slug) + "/models?limit=100", 20)
        .then(function (items) {
          if (modelsFor === slug) { models = items; refresh(modelCombo); }
        })
        .catch(function () { modelsFor = ""; });
    }

    function loadYears() {
      var chosen = models.filter(function (m) { return key(m.name) === key(model.value); })[0];
      if (!chosen) { years = []; yearsFor = ""; return; }
      var path = api + "/" + encodeURIComponent(make.value) + "/models/" +
        encodeURIComponent(chosen.slug) + "/vehicles?limit=100";
      if (path === yearsFor) { return; }
      yearsFor = path;
      fetchAll(path, 5).then(function (items) {
        if (yearsFor !== path) { return; }
        var seen = {};
        years = items.map(function (v) { return v.year; })
          .filter(function (y) { return seen[y] ? false : (seen[y] = true); })
          .sort(function (a, b) { return b - a; });
        refresh(yearCombo);
      }).catch(function () { yearsFor = ""; });
    }

    make.addEventListener("change", function () { model.value = ""; year.value = ""; loadModels(); });
    model.addEventListener("change", loadYears);
    model.addEventListener("blur", loadYears);
    loadModels();
  }

  /* ------------------------------------------------------------ start */

  function start() {
    document.querySelectorAll("[data-picker]").forEach(setupPicker);
    document.querySelectorAll("[data-garage-save]").forEach(setupSaveButton);
    document.querySelectorAll("[data-garage-panel]").forEach(renderGaragePanel);
    document.querySelectorAll("[data-garage-badge]").forEach(renderBadge);
    renderGarageNav();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
