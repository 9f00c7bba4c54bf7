// The wall screen's browser side: nothing here fetches data by itself.
// - Every Dash callback request goes through a wrapper of window.fetch that records whether the
//   server answered; after a failure, requests wait (2 s, 4 s, 8 s … up to 60 s) before the next try,
//   so a screen does not hammer a server that is down, and the first answer clears it all.
// - The clientside callbacks below rotate the views, keep the clock and show the stale banner from
//   that record, once a second, without a round trip.
(function () {
  "use strict";
  var MAX_DELAY = 60000;
  var TIMEOUT = 15000; // a request that hangs this long counts as failed
  var net = { lastOk: Date.now(), lastFail: 0, failures: 0, nextTry: 0, denied: false };
  window.cockpitWallNet = net;

  function failed() {
    net.failures += 1;
    net.lastFail = Date.now();
    net.nextTry = net.lastFail + Math.min(MAX_DELAY, 2000 * Math.pow(2, net.failures - 1));
  }

  // The views' refreshes and the alert poll go out together: a batch that fails is one failed try, not
  // one per request, or the wait would reach its cap after a single outage of a few seconds.
  function failedAttempt(started) {
    if (started >= net.lastFail) failed();
  }

  var realFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (url.indexOf("_dash-update-component") === -1) {
      return realFetch(input, init);
    }
    if (net.failures > 0 && Date.now() < net.nextTry) {
      return Promise.resolve(keepWhatIsShown()); // backing off: the network is not touched
    }
    var started = Date.now();
    var timer;
    var timeout = new Promise(function (_resolve, reject) {
      timer = setTimeout(function () { reject(new TypeError("timeout")); }, TIMEOUT);
    });
    return Promise.race([realFetch(input, init), timeout]).then(
      function (response) {
        clearTimeout(timer);
        if (response.ok || response.status === 204) {
          net.failures = 0;
          net.denied = false;
          net.lastOk = Date.now();
          return response;
        }
        net.denied = response.status === 401 || response.status === 403;
        failedAttempt(started);
        return keepWhatIsShown();
      },
      function () {
        clearTimeout(timer);
        failedAttempt(started);
        return keepWhatIsShown();
      }
    );
  };

  // A failed refresh answers "no update" to the renderer: what is on screen stays as it is (the banner
  // says how old it is), and the renderer neither logs nor keeps an error per failed try, which over a
  // weekend without a server would pile up in the page.
  function keepWhatIsShown() {
    return new Response(null, { status: 204, statusText: "kept" });
  }

  function ago(ms, texts) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 120) return texts.ago_s.replace("{n}", s);
    if (s < 7200) return texts.ago_m.replace("{n}", Math.round(s / 60));
    return texts.ago_h.replace("{n}", Math.round(s / 3600));
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }
  var offsetMinutes = 0; // the community's offset from UTC (the config store says), not the PC's zone
  function hms(ms) {
    var d = new Date(ms + offsetMinutes * 60000);
    return two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()) + ":" + two(d.getUTCSeconds());
  }

  var shown = null;
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    cockpitWall: {
      scale: function () {
        // design size 1920 wide; a 4K screen draws the figures' type twice as large
        return Math.max(1, Math.round((window.innerWidth / 1920) * 4) / 4);
      },
      rotate: function (n, config) {
        var views = (config && config.views) || [];
        var i = views.length ? (n || 0) % views.length : 0;
        return "wall-screen show-" + i + " lang-" + ((config && config.lang) || "zh");
      },
      tick: function (_n, config) {
        var noUpdate = window.dash_clientside.no_update;
        if (config && typeof config.utc_offset_minutes === "number") offsetMinutes = config.utc_offset_minutes;
        var clock = hms(Date.now());
        if (!config) return [clock, noUpdate, noUpdate];
        var refreshMs = (config.refresh || 10) * 1000;
        var now = Date.now();
        var stale = net.failures > 0 || now - net.lastOk > 3 * refreshMs + 5000;
        var texts = config.texts;
        var text = "";
        if (net.denied) {
          text = texts.denied;
        } else if (stale) {
          text = texts.stale.replace("{time}", hms(net.lastOk)).replace("{age}", ago(now - net.lastOk, texts));
          if (net.failures > 0 && net.nextTry > now) {
            text += " " + texts.stale_retry.replace("{n}", Math.ceil((net.nextTry - now) / 1000));
          }
        }
        var banner = text ? (net.denied ? "wall-banner shown denied" : "wall-banner shown") : "wall-banner";
        if (text === shown) return [clock, noUpdate, noUpdate];
        shown = text;
        return [clock, text, banner];
      },
    },
  });
})();
