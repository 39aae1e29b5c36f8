// The admin monitor (docs/protocol.md, "Admin pages"): polls
// /admin/api/s/<code> once a second and fills the page's tables. Values go
// in through textContent only, so nothing a participant typed becomes HTML.
(() => {
  'use strict';
  const code = document.currentScript.dataset.session;
  const url = '/admin/api/s/' + encodeURIComponent(code);
  const pollMs = 1000;  // live enough for a person watching; cheap for the server
  const summary = document.getElementById('summary');
  const playerRows = document.querySelector('#players tbody');
  const groupRows = document.querySelector('#groups tbody');

  // A field value as the pages show it: text as itself, anything else as JSON.
  // A field of another game of the sequence is absent: an empty cell.
  const shown = (value) =>
    value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);

  // One row per item, with `width` cells, made once and then updated in place.
  function rows(tbody, count, width) {
    while (tbody.rows.length > count) tbody.deleteRow(-1);
    while (tbody.rows.length < count) {
      const row = tbody.insertRow();
      for (let i = 0; i < width; ++i) row.insertCell();
    }
    return tbody.rows;
  }

  function set(cell, text, className) {
    if (cell.textContent !== text) cell.textContent = text;
    if (className !== undefined && cell.className !== className) cell.className = className;
  }

  function render(state) {
    const players = rows(playerRows, state.players.length, 6 + state.player_fields.length);
    state.players.forEach((p, i) => {
      const cells = players[i].cells;
      set(cells[0], String(p.id_in_session));
      set(cells[1], p.label);
      // No group yet: waiting on a page that groups by arrival time.
      set(cells[2], p.group === null ? '–' : String(p.group));
      set(cells[3], p.group === null ? '–' : String(p.id_in_group));
      set(cells[4], p.page + ' ' + p.page_name);
      // Left: no page for the grace period, and the game was told.
      const shownState = p.arrived && !p.present ? 'left' : p.state;
      set(cells[5], p.connections > 1 ? `${shownState} (${p.connections} pages)` : shownState,
          p.state);
      state.player_fields.forEach((name, f) => set(cells[6 + f], shown(p.fields[name])));
    });
    const groups = rows(groupRows, state.groups.length, 1 + state.group_fields.length);
    state.groups.forEach((g, i) => {
      const cells = groups[i].cells;
      set(cells[0], String(g.id_in_subsession));
      state.group_fields.forEach((name, f) => set(cells[1 + f], shown(g.fields[name])));
    });
    summary.textContent =
      `${state.connected} of ${state.participants} participants connected; ` +
      `${state.events} event${state.events === 1 ? '' : 's'}, ` +
      `${state.events_per_second.toFixed(1)} per second ` +
      `(updated ${new Date().toLocaleTimeString()})`;
    summary.className = '';
  }

  async function poll() {
    try {
      const response = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok) throw new Error('the server answered ' + response.status);
      render(await response.json());
    } catch (error) {
      summary.textContent = 'The monitor has no answer from the server (' + error.message +
        '); trying again.';
      summary.className = 'error';
    }
    setTimeout(poll, pollMs);
  }
  poll();
})();
