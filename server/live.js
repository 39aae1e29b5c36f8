// livectl's live.js: liveSend(data) and liveRecv(data) as in oTree, over the
// WebSocket at /live/<code>. Served at /live.js; every page loads it from its
// <head> with data-code and data-page (docs/protocol.md).
//
// - liveSend before the page has loaded is a console error (call it from a
//   DOMContentLoaded listener or later, as oTree pages do).
// - Sends made while the socket is down are held and sent, in order, once it
//   is back. It reconnects after a drop, waiting 0.25 s, then twice as long
//   each time up to 5 s; after a reconnect it dispatches a "livereconnect"
//   event on document, where a page can ask for the state with liveSend({}).
// - {"type":"error"} frames go to console.error; {"type":"page"} frames (the
//   participant is on another page now) load the current page.
// - Enter in a text field does not submit the page; the Next button does.
(function () {
  'use strict';
  const script = document.currentScript;
  const code = script.dataset.code;
  const page = parseInt(script.dataset.page, 10);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = scheme + '//' + location.host + '/live/' + encodeURIComponent(code) + '?page=' + page;

  const FIRST_DELAY_MS = 250;
  const MAX_DELAY_MS = 5000;
  // Close codes after which reconnecting cannot help (see server/websocket_endpoint.cpp).
  const FINAL_CLOSE_CODES = [1009, 4404, 4429];

  let socket = null;
  let open = false;
  let leaving = false;
  let connectedBefore = false;
  let delay = FIRST_DELAY_MS;
  const held = [];

  function goToCurrentPage() {
    leaving = true;
    location.replace('/p/' + encodeURIComponent(code));
  }

  function onFrame(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (e) {
      console.error('livectl: the server sent a frame that is not JSON:', event.data);
      return;
    }
    if (frame.type === 'live') {
      if (typeof window.liveRecv === 'function') {
        window.liveRecv(frame.data);
      } else {
        console.warn('livectl: a message arrived but this page defines no liveRecv(data):', frame.data);
      }
    } else if (frame.type === 'error') {
      console.error('livectl: ' + frame.message);
    } else if (frame.type === 'page') {
      goToCurrentPage();
    }
  }

  function connect() {
    socket = new WebSocket(url);
    socket.onopen = function () {
      open = true;
      delay = FIRST_DELAY_MS;
      while (held.length > 0) socket.send(held.shift());
      if (connectedBefore) document.dispatchEvent(new Event('livereconnect'));
      connectedBefore = true;
    };
    socket.onmessage = onFrame;
    socket.onclose = function (event) {
      open = false;
      if (leaving) return;
      if (FINAL_CLOSE_CODES.includes(event.code)) {
        console.error('livectl: the server closed the connection: ' + event.reason);
        return;
      }
      if (event.code === 1008) {
        // The server dropped frames this page was too slow to read: reload
        // to show the current state.
        console.error('livectl: ' + event.reason);
        goToCurrentPage();
        return;
      }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    };
  }

  window.liveSend = function (data) {
    if (document.readyState === 'loading') {
      console.error('livectl: liveSend() was called before the page finished loading, so ' +
                    'nothing was sent; call it from a DOMContentLoaded listener or later.');
      return;
    }
    const frame = JSON.stringify({page: page, data: data === undefined ? null : data});
    if (open) {
      socket.send(frame);
    } else {
      held.push(frame);
    }
  };

  document.addEventListener('DOMContentLoaded', function () {
    const form = document.getElementById('form');
    if (form) {
      form.addEventListener('keydown', function (event) {
        const target = event.target;
        if (event.key === 'Enter' && target.tagName === 'INPUT' && target.type !== 'submit') {
          event.preventDefault();
        }
      });
      form.addEventListener('submit', function () { leaving = true; });
    }
  });
  window.addEventListener('beforeunload', function () { leaving = true; });

  connect();
})();
