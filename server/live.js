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
// - Every live frame carries the participant's delivery number. The page
//   remembers the last one it handled (from data-seq, the number the page
//   was rendered at) and connects with ?after= it, so after a drop the
//   server re-sends exactly what the page missed, in order; a frame it has
//   handled already is skipped. When the server no longer holds all of it,
//   a {"type":"gap"} frame comes first and a "livegap" event is dispatched
//   on document, where a page can ask for the state with liveSend({}).
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
  // The last delivery this page handled (docs/protocol.md, "Delivery").
  let lastSeq = parseInt(script.dataset.seq || '0', 10);

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
      if (typeof frame.seq === 'number') {
        if (frame.seq <= lastSeq) return;  // handled before a reconnect
        lastSeq = frame.seq;
      }
      if (typeof window.liveRecv === 'function') {
        window.liveRecv(frame.data);
      } else {
        console.warn('livectl: a message arrived but this page defines no liveRecv(data):', frame.data);
      }
    } else if (frame.type === 'gap') {
      console.warn('livectl: messages ' + (frame.after + 1) + ' to ' + (frame.resumes - 1) +
                   ' of this page can no longer be sent again; ask for the state');
      document.dispatchEvent(new Event('livegap'));
    } else if (frame.type === 'error') {
      console.error('livectl: ' + frame.message);
    } else if (frame.type === 'page') {
      goToCurrentPage();
    }
  }

  function connect() {
    socket = new WebSocket(url + '&after=' + lastSeq);
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
