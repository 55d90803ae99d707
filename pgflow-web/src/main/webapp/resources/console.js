/*
 * pgflow console: live updates. One EventSource per page on /console/live (ConsoleLive on the
 * server, fed by the engine's events); a page passes which runs concern it and how to refresh.
 * Refreshes are gathered: at most one every 300 ms.
 */
var pgflow = window.pgflow || {};

/* What the live feed did on this page (for tests and curious users: pgflow.liveLog in the browser console). */
pgflow.liveLog = [];

pgflow.live = function (concerns, refresh) {
    var state = document.getElementById('live-state');
    if (!window.EventSource) {
        return;
    }
    if (state) { state.hidden = false; }
    var base = document.body.dataset.base || '';
    var timer = null;
    var source = null;
    function later() {
        if (!timer) {
            timer = setTimeout(function () { timer = null; refresh(); }, 300);
        }
    }
    function show(text, className) {
        if (state) { state.textContent = text; state.className = 'pg-live-state ' + className; }
    }
    function connect() {
        source = new EventSource(base + '/console/live');
        source.onopen = function () {
            pgflow.liveLog.push(new Date().toISOString() + ' open');
            show('live', 'pg-live-on');
            // what moved between the page's rendering and this (re)connection sent no event here: re-read once
            later();
        };
        source.onerror = function () {
            pgflow.liveLog.push(new Date().toISOString() + ' error, readyState ' + source.readyState);
            show('reconnecting', 'pg-live-off');
            if (source.readyState === EventSource.CLOSED) { // refused (signed out, server restarting): try again later
                setTimeout(connect, 5000);
            }
        };
        source.onmessage = function (m) {
            pgflow.liveLog.push(new Date().toISOString() + ' ' + m.data.substring(0, 200));
            var moved = JSON.parse(m.data);
            if (moved.all || moved.runs.some(concerns)) {
                later();
            }
        };
    }
    connect();
    window.addEventListener('pagehide', function () { source.close(); });
};

/* Checks a JSON text as the user types: the message element shows the parser's complaint, or nothing. */
pgflow.checkJson = function (field, messageId) {
    var message = document.getElementById(messageId);
    if (!message) {
        return;
    }
    var text = field.value.trim();
    if (!text) {
        message.textContent = '';
        return;
    }
    try {
        JSON.parse(text);
        message.textContent = '';
    } catch (e) {
        message.textContent = 'Not valid JSON: ' + e.message;
    }
};

/*
 * What a page follows live, from its marker element (no inline script: the console's
 * Content-Security-Policy allows none): <span id="pg-live" data-follow="all|run|flow|family">, with
 * data-run for a run page, data-flows for a family; a runs list reads its flow filter from #live-flow. The page's
 * p:remoteCommand pgRefresh re-renders its live parts.
 */
document.addEventListener('DOMContentLoaded', function () {
    var marker = document.getElementById('pg-live');
    if (!marker) {
        return;
    }
    var follow = marker.dataset.follow;
    var concerns;
    if (follow === 'run') {
        concerns = function (r) { return r.run === marker.dataset.run; };
    } else if (follow === 'family') {
        // a family view: any event of the flows it shows (its runs' children start and end in them)
        concerns = function (r) { return (' ' + marker.dataset.flows + ' ').indexOf(' ' + r.flow + ' ') >= 0; };
    } else if (follow === 'flow') {
        concerns = function (r) {
            var filter = document.getElementById('live-flow');
            var flow = filter ? filter.dataset.flow : '';
            return !flow || r.flow === flow;
        };
    } else {
        concerns = function () { return true; };
    }
    // a refresh re-renders the page's live part: not while a signal payload or a run's new priority is
    // being typed there (it would be wiped: ConsoleIT once sent the re-rendered 0 instead of the typed
    // 50); the refresh waits until the field is empty again or back to what was rendered (sent, or cleared)
    var deferred = false;
    function typing() {
        var fields = document.querySelectorAll('.pg-signal-payload');
        for (var i = 0; i < fields.length; i++) {
            if (fields[i].value.trim() !== '') {
                return true;
            }
        }
        // a field the page rendered with a value (a run's priority): changed and not sent yet
        var edited = document.querySelectorAll('.pg-keep-typed');
        for (var j = 0; j < edited.length; j++) {
            if (edited[j].value !== edited[j].defaultValue) {
                return true;
            }
        }
        return false;
    }
    function refresh() {
        if (!window.pgRefresh) {
            return;
        }
        if (typing()) {
            if (!deferred) {
                deferred = true;
                var retry = setInterval(function () {
                    if (!typing()) {
                        clearInterval(retry);
                        deferred = false;
                        window.pgRefresh();
                    }
                }, 1000);
            }
            return;
        }
        window.pgRefresh();
    }
    pgflow.live(concerns, refresh);
    // a page whose facts change without events (heartbeat ages) also re-reads on a timer
    var every = parseInt(marker.dataset.every || '0', 10);
    if (every > 0) {
        setInterval(function () {
            if (!document.hidden) {
                refresh();
            }
        }, every);
    }
});

/* JSON fields check themselves as the user types: data-json-check names the element for the message. */
document.addEventListener('keyup', function (e) {
    var field = e.target;
    if (field && field.dataset && field.dataset.jsonCheck) {
        pgflow.checkJson(field, field.dataset.jsonCheck);
    }
});

/* The browser's time zone (IANA name), or UTC when it has none. */
pgflow.browserZone = function () {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (e) { return 'UTC'; }
};

/*
 * Instants (<time class="pg-local" datetime="...Z">) shown in the viewer's time zone, as
 * "Fri 2026-12-04 07:00 Europe/Berlin (yours)"; the page's .pg-viewer-zone says which zone that is.
 * A pass over the page: run when it loads and whenever it changes (the observer at the end of this
 * file: an ajax update re-renders the table). No inline script, as everywhere in the console.
 */
pgflow.localTimes = function () {
    var zone = pgflow.browserZone();
    var format = new Intl.DateTimeFormat('en-GB', {timeZone: zone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', hourCycle: 'h23'});
    document.querySelectorAll('time.pg-local:not([data-shown])').forEach(function (t) {
        var date = new Date(t.getAttribute('datetime'));
        if (!isNaN(date.getTime())) {
            var p = {};
            format.formatToParts(date).forEach(function (part) { p[part.type] = part.value; });
            t.textContent = p.weekday + ' ' + p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ' ' + zone + ' (yours)';
            t.setAttribute('data-shown', 'true');
        }
    });
    // written only when it differs: each write is a change the observer reports (no endless loop)
    document.querySelectorAll('.pg-viewer-zone').forEach(function (z) {
        if (z.textContent !== 'in yours (' + zone + ')') {
            z.textContent = 'in yours (' + zone + ')';
        }
    });
};

/*
 * The address bar follows the page: a page that keeps its state in the URL renders
 * <span id="pg-url" data-url="runs.xhtml?..."> and it is put there (replaceState, no reload)
 * whenever it changes, so a reload or a shared link shows the same filters and page.
 */
pgflow.syncUrl = function () {
    var marker = document.getElementById('pg-url');
    if (!marker || !window.history || !history.replaceState) {
        return;
    }
    var url = (document.body.dataset.base || '') + '/' + marker.dataset.url;
    if (location.pathname + location.search !== url) {
        history.replaceState(null, '', url);
    }
};

/*
 * Times: every <time class="pg-t" datetime="...Z"> is shown in the viewer's time zone (the
 * browser's) or in UTC, as the header's switch says (kept in the browser: localStorage); column
 * headers say which in their .pg-tz. The server renders UTC, so without script all says UTC.
 */
pgflow.timesInUtc = function () {
    try { return localStorage.getItem('pgflow.times') === 'utc'; } catch (e) { return false; } // storage refused: the default
};

pgflow.zone = function () {
    return pgflow.timesInUtc() ? 'UTC' : pgflow.browserZone();
};

pgflow.showTimes = function () {
    var zone = pgflow.zone();
    var format = new Intl.DateTimeFormat('en-GB', {timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'});
    document.querySelectorAll('time.pg-t').forEach(function (t) {
        var iso = t.getAttribute('datetime');
        if (t.dataset.zone === zone || !iso) { // no time (not ended yet): nothing to show; new Date(null) would be 1970
            return;
        }
        var date = new Date(iso);
        if (isNaN(date.getTime())) {
            return;
        }
        var p = {};
        format.formatToParts(date).forEach(function (part) { p[part.type] = part.value; });
        t.textContent = p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second;
        t.dataset.zone = zone;
        t.title = date.toISOString();
    });
    // written only when they differ: each write is a change the page's observer reports
    document.querySelectorAll('.pg-tz').forEach(function (z) {
        if (z.textContent !== '(' + zone + ')') {
            z.textContent = '(' + zone + ')';
        }
    });
    var button = document.getElementById('tz-switch');
    if (button && button.textContent !== 'Times: ' + zone) {
        button.textContent = 'Times: ' + zone;
        button.setAttribute('aria-label', 'Times are shown in ' + zone + '; switch to ' + (zone === 'UTC' ? 'your time zone' : 'UTC'));
    }
};

document.addEventListener('DOMContentLoaded', function () {
    pgflow.showTimes();
    pgflow.localTimes();
    pgflow.syncUrl();
    var button = document.getElementById('tz-switch');
    if (button) {
        button.hidden = false;
        button.addEventListener('click', function () {
            try { localStorage.setItem('pgflow.times', pgflow.timesInUtc() ? 'local' : 'utc'); } catch (e) { /* not kept */ }
            pgflow.showTimes();
        });
    }
    var menu = document.getElementById('nav-toggle');
    if (menu) {
        menu.addEventListener('click', function () {
            var open = document.body.classList.toggle('pg-nav-open');
            menu.setAttribute('aria-expanded', open ? 'true' : 'false');
        });
    }
    if (window.MutationObserver) {
        var pending = false;
        new MutationObserver(function () {
            if (!pending) { // gathered: one pass after a burst of changes
                pending = true;
                setTimeout(function () { pending = false; pgflow.showTimes(); pgflow.localTimes(); pgflow.syncUrl(); }, 0);
            }
        }).observe(document.body, {childList: true, subtree: true});
    }
});
