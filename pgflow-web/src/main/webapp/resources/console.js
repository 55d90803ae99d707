/*
 * pgflow console: live updates. One EventSource per page on /console/live (ConsoleLive on the
 * server, fed by the engine's events); a page passes which runs concern it and how to refresh.
 * Refreshes are gathered: at most one every 300 ms.
 */
var pgflow = window.pgflow || {};

pgflow.live = function (concerns, refresh) {
    var state = document.getElementById('live-state');
    if (!window.EventSource) {
        return;
    }
    if (state) { state.hidden = false; }
    var base = document.body.dataset.base || '';
    var source = new EventSource(base + '/console/live');
    var timer = null;
    function later() {
        if (!timer) {
            timer = setTimeout(function () { timer = null; refresh(); }, 300);
        }
    }
    source.onopen = function () {
        if (state) { state.textContent = 'live'; state.className = 'pg-live-state pg-live-on'; }
        // what moved between the page's rendering and this (re)connection sent no event here: re-read once
        later();
    };
    source.onerror = function () {
        if (state) { state.textContent = 'reconnecting'; state.className = 'pg-live-state pg-live-off'; }
    };
    source.onmessage = function (m) {
        var moved = JSON.parse(m.data);
        if (moved.all || moved.runs.some(concerns)) {
            later();
        }
    };
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
