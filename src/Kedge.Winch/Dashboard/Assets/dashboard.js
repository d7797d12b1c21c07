'use strict';

// winch's dashboard: polls the state every second and writes it with textContent only (no HTML from data).
(function () {
  const statePath = '/debug/dashboard/state';

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined || text === '' ? '—' : String(text);
    if (className) {
      td.className = className;
    }
    row.appendChild(td);
    return td;
  }

  function fill(tableId, items, columns, emptyText) {
    const body = document.querySelector('#' + tableId + ' tbody');
    const rows = [];
    if (items.length === 0) {
      const row = document.createElement('tr');
      const td = cell(row, emptyText, 'empty');
      td.colSpan = columns;
      rows.push(row);
    }
    for (const item of items) {
      const row = document.createElement('tr');
      item(row);
      rows.push(row);
    }
    body.replaceChildren(...rows);
  }

  function time(value) {
    return value ? new Date(value).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : null;
  }

  function duration(seconds) {
    const s = Math.floor(seconds);
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    return (d > 0 ? d + 'd ' : '') + (d > 0 || h > 0 ? h + 'h ' : '') + m + 'm ' + (s % 60) + 's';
  }

  function render(state) {
    document.getElementById('version').textContent = state.version;
    document.getElementById('uptime').textContent = duration(state.uptime_seconds);
    const status = document.getElementById('status');
    status.textContent = 'updated ' + time(state.now);
    status.className = '';

    fill('routes', state.routes.map((route, index) => (row) => {
      cell(row, index + 1);
      cell(row, route.pattern);
      cell(row, route.match);
      cell(row, route.kedge_url);
      cell(row, route.protocol);
      cell(row, route.backend_auth);
      cell(row, route.proxy_auth);
    }), 7, 'no routes');

    fill('auth', state.auth_sources.map((source) => (row) => {
      row.dataset.source = source.name;
      cell(row, source.name);
      cell(row, source.kind);
      cell(row, source.state, 'state-' + source.state);
      cell(row, time(source.expires_at));
      cell(row, time(source.last_refresh));
      cell(row, source.login);
      cell(row, source.last_error ? time(source.last_error_at) + ': ' + source.last_error : null);
    }), 7, 'no route uses an auth source');

    fill('errors', state.recent_errors.map((error) => (row) => {
      cell(row, time(error.time));
      cell(row, error.target);
      cell(row, error.type);
      cell(row, error.message);
    }), 4, 'no errors since winch started');
  }

  async function poll() {
    try {
      const response = await fetch(statePath, { cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok) {
        throw new Error('HTTP ' + response.status);
      }
      render(await response.json());
    } catch (error) {
      const status = document.getElementById('status');
      status.textContent = 'cannot reach winch (' + error.message + ')';
      status.className = 'stale';
    } finally {
      setTimeout(poll, 1000);
    }
  }

  poll();
}());
