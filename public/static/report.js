// The residents' report form (/report): suggestions while typing, the building list following the
// estate, the tap-to-mark site plan, and a guard on the photo count. The form works without any of it.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var strings = JSON.parse(document.getElementById("report-strings").textContent);

  var errors = document.getElementById("report-errors");
  if (errors) errors.focus();

  // --- suggested category and grade (POST /api/v1/classify, rate-limited: debounce, stay quiet on errors)
  var text = document.getElementById("text");
  var category = document.getElementById("category");
  var box = document.getElementById("report-suggestion");
  var boxText = document.getElementById("report-suggestion-text");
  var useButton = document.getElementById("report-suggestion-use");
  var timer = null;
  var lastAsked = "";
  var suggested = null;
  var pending = null;

  function showSuggestion(result) {
    var name = strings.categories[result.category];
    var grade = strings.grades[result.grade];
    if (!name || !grade) { box.hidden = true; suggested = null; return; }
    suggested = result.category;
    boxText.textContent = strings.suggest.replace("{category}", name).replace("{grade}", grade);
    box.dataset.grade = result.grade;
    useButton.hidden = category.value === suggested;
    box.hidden = false;
  }

  function ask() {
    var value = text.value.trim();
    if (value.length < 4) { box.hidden = true; suggested = null; return; }
    if (value === lastAsked) return;
    lastAsked = value;
    if (pending && pending.abort) pending.abort();
    pending = window.AbortController ? new AbortController() : null;
    fetch("/api/v1/classify", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ text: value }),
      credentials: "same-origin",
      signal: pending ? pending.signal : undefined
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status)); // 429 and the like: no suggestion, no noise
      return response.json();
    }).then(function (result) {
      if (text.value.trim() === value) showSuggestion(result);
    }).catch(function () {
      lastAsked = ""; // ask again on the next change
    });
  }

  if (text && box) {
    text.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 600);
    });
    useButton.addEventListener("click", function () {
      if (suggested) { category.value = suggested; useButton.hidden = true; }
    });
    category.addEventListener("change", function () {
      if (suggested) useButton.hidden = category.value === suggested;
    });
    if (text.value.trim()) ask();
  }

  // --- the building list follows the estate
  var estate = document.getElementById("estate");
  var building = document.getElementById("building");
  var groups = building ? Array.prototype.slice.call(building.querySelectorAll("optgroup")).map(function (g) {
    return g.cloneNode(true);
  }) : [];

  function fillBuildings() {
    var keep = building.value;
    var chosen = estate.value;
    Array.prototype.slice.call(building.querySelectorAll("optgroup")).forEach(function (g) { g.remove(); });
    groups.forEach(function (g) {
      if (chosen && g.dataset.estate !== chosen) return;
      building.appendChild(g.cloneNode(true));
    });
    building.value = keep;
    if (building.value !== keep) building.value = "";
  }

  if (estate && building) {
    estate.addEventListener("change", fillBuildings);
    building.addEventListener("change", function () {
      var option = building.options[building.selectedIndex];
      if (option && option.dataset.estate && estate.value !== option.dataset.estate) {
        estate.value = option.dataset.estate;
        fillBuildings();
      }
    });
    fillBuildings();
  }

  // --- the site plan: a tap marks the spot (hidden lat/lon), picks the estate and a nearby building
  var plan = document.getElementById("plan");
  var block = document.getElementById("plan-block");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var marker = document.getElementById("plan-marker");
  var state = document.getElementById("plan-state");
  if (plan && block) {
    block.hidden = false;
    var lon0 = parseFloat(plan.dataset.lon0), lat1 = parseFloat(plan.dataset.lat1);
    var kx = parseFloat(plan.dataset.kx), ky = parseFloat(plan.dataset.ky);
    var buildings = Array.prototype.slice.call(plan.querySelectorAll(".plan-building"));

    plan.addEventListener("click", function (event) {
      var matrix = plan.getScreenCTM();
      if (!matrix) return;
      var point = plan.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      var p = point.matrixTransform(matrix.inverse());
      lon.value = (lon0 + p.x / kx).toFixed(6);
      lat.value = (lat1 - p.y / ky).toFixed(6);
      marker.setAttribute("transform", "translate(" + p.x.toFixed(1) + " " + p.y.toFixed(1) + ")");
      marker.style.display = "";
      state.textContent = strings.marked;

      var near = null, best = 45 * 45; // within about 45 plan units (a finger's width on a phone)
      buildings.forEach(function (b) {
        var dx = parseFloat(b.dataset.x) - p.x, dy = parseFloat(b.dataset.y) - p.y;
        if (dx * dx + dy * dy < best) { best = dx * dx + dy * dy; near = b; }
      });
      var hit = event.target.closest ? event.target.closest("[data-estate]") : null;
      var estateId = near ? near.dataset.estate : hit ? hit.dataset.estate : "";
      if (estateId && estate.value !== estateId) {
        estate.value = estateId;
        fillBuildings();
      }
      if (near) building.value = near.dataset.building;
    });

    document.getElementById("plan-clear").addEventListener("click", function () {
      lat.value = "";
      lon.value = "";
      marker.style.display = "none";
      state.textContent = strings.none;
    });
  }

  // --- at most three photos (the server refuses a fourth as well)
  var photos = document.getElementById("photos");
  var warning = document.getElementById("photos-warning");
  if (photos && warning) {
    photos.addEventListener("change", function () {
      var tooMany = photos.files && photos.files.length > strings.max_photos;
      warning.textContent = tooMany ? strings.too_many : "";
      photos.classList.toggle("is-invalid", !!tooMany);
    });
  }

  // --- one click sends once (a second send would land on the same tracking page anyway)
  var submit = document.getElementById("report-submit");
  var submitLabel = submit.textContent;
  form.addEventListener("submit", function (event) {
    if (photos && photos.files && photos.files.length > strings.max_photos) {
      event.preventDefault();
      photos.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = strings.sending;
  });
  window.addEventListener("pageshow", function () { // back button: the page comes from the cache, re-enabled
    submit.disabled = false;
    submit.textContent = submitLabel;
  });
})();
