#!/usr/bin/env node
// livectl serve in a real browser: Debian's headless Chromium, driven by
// playwright-core (which never downloads a browser of its own), plays
// tic-tac-toe through the pages, live.js and the WebSocket as people do, and
// the auction of oTree's live pages documentation with its template as oTree
// writes it (served by OTREE_STUDY, the test study livectl_otree_test),
// waits in a room until the experimenter creates its session, and plays the
// public goods study (PUBLIC_GOODS_STUDY) as one of twelve: its quiz, three
// rounds with strangers, the results and the payments page; and trades in
// the double auction study's market (DOUBLE_AUCTION_STUDY); and chats in the
// continuous study's group chat (CONTINUOUS_STUDY), whose page keeps the chat
// across a reload, a dropped connection and a server restart, holds its
// slider through a period's ticks, and trades in its continuous double
// auction with 30 bots while a tab goes offline.
//
//     node live_pages_test.js LIVECTL ARTIFACT_DIR [TEST_NAME_SUBSTRING]
//                             [--otree-study OTREE_STUDY]
//                             [--public-goods PUBLIC_GOODS_STUDY]
//                             [--double-auction DOUBLE_AUCTION_STUDY]
//                             [--continuous CONTINUOUS_STUDY]
//
// Screenshots are written to ARTIFACT_DIR and their paths printed. Every wait
// is bounded, a watchdog ends the whole run, and every server is killed on
// any exit (serve.js).
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Server, killAll } = require('./serve.js');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch {
  console.error('live_pages_test: playwright-core is not installed in ' +
                'tests/browser/node_modules; scripts/bootstrap.sh installs it (npm ci)');
  process.exit(1);
}

const argv = process.argv.slice(2);
// `--flag VALUE`, taken out of argv; undefined when not given.
const option = flag => {
  const at = argv.indexOf(flag);
  return at >= 0 ? argv.splice(at, 2)[1] : undefined;
};
const OTREE_STUDY = option('--otree-study');
const PUBLIC_GOODS = option('--public-goods');
const DOUBLE_AUCTION = option('--double-auction');
const CONTINUOUS = option('--continuous');
const [LIVECTL, ARTIFACTS, ONLY = ''] = argv;
if (!LIVECTL || !ARTIFACTS) {
  console.error('usage: node live_pages_test.js LIVECTL ARTIFACT_DIR [TEST_NAME_SUBSTRING] ' +
                '[--otree-study OTREE_STUDY] [--public-goods PUBLIC_GOODS_STUDY] ' +
                '[--double-auction DOUBLE_AUCTION_STUDY] [--continuous CONTINUOUS_STUDY]');
  process.exit(2);
}
const CHROMIUM = '/usr/bin/chromium';  // Debian's package; scripts/bootstrap.sh installs it
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'livectl-browser-test-'));

// Below the CTest TIMEOUT, so that a hang still ends with our diagnostics
// and with the servers and the browser killed by us.
const WATCHDOG_MS = 170000;
// A page shows what the server said within milliseconds; the margin is for
// a sanitized server and two Chromium renderers sharing two busy cores.
const VIEW_MS = 20000;
// live.js waits up to 5 s between attempts, and the restarted server has to
// open its database first.
const RECONNECT_MS = 30000;

const EMPTY = ' '.repeat(9);
const LINES = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8],
               [0, 4, 8], [2, 4, 6]];
// Chromium's own line for a WebSocket that could not connect: expected while
// the server is down or the browser is offline, and nowhere else.
const isFailedWebSocket = error =>
  /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/live\/\w+\?page=\d+&after=\d+' failed/.test(error.text);

// ---- the browser side ----

// What a tic-tac-toe page shows; runs in the page.
function readView() {
  const text = id => {
    const element = document.getElementById(id);
    return element && !element.hidden ? element.textContent : null;
  };
  // The nine cells with ids prefix-0..8 as a board string, ' ' for empty.
  const board = prefix => {
    const cells = [...Array(9).keys()].map(i => document.getElementById(prefix + i));
    return cells.every(Boolean) ? cells.map(cell => cell.textContent || ' ').join('') : null;
  };
  return {
    board: board('square-'),       // the live page
    status: text('status'),
    error: text('error'),
    next: text('next'),
    outcome: text('outcome'),      // the results page
    final: board('final-'),
  };
}

// Two participants' pages in separate browser contexts (separate cookies and
// storage, as two people's browsers), with their console and WebSockets.
class Players {
  constructor(browser, testName) {
    this.browser = browser;
    this.testName = testName;
    this.pages = new Map();     // label -> page
    this.console = [];          // every console line, for a failure report
    this.errors = [];           // console errors and uncaught exceptions
    this.sockets = new Map();   // label -> WebSockets the page opened
  }

  async open(label, link) {
    const context = await this.browser.newContext({ viewport: { width: 640, height: 560 } });
    context.setDefaultTimeout(VIEW_MS);
    // Every page the context loads gets readView and readAuction as
    // globals, for the waits.
    await context.addInitScript({
      content: `window.readView = ${readView.toString()};\n` +
               `window.readAuction = ${readAuction.toString()};` });
    const page = await context.newPage();
    this.pages.set(label, page);
    this.sockets.set(label, []);
    page.on('console', message => {
      const where = message.location().url;
      const line = `${label}: console.${message.type()}: ${message.text()} (${where})`;
      this.console.push(line);
      if (message.type() === 'error') this.errors.push({ label, text: message.text(), where });
    });
    page.on('pageerror', error => {
      this.console.push(`${label}: uncaught ${error.message}`);
      this.errors.push({ label, text: 'uncaught ' + error.message, where: page.url() });
    });
    page.on('websocket', socket => this.sockets.get(label).push(socket));
    await page.goto(link, { timeout: VIEW_MS });
    return page;
  }

  // Resolves once `want` (fields of readView(), null = hidden) is what the
  // page shows; fails after `timeout` with what it showed instead. Survives
  // the page loading another page (the wait page moving on, a submit).
  async waitFor(label, want, timeout = VIEW_MS) {
    const page = this.pages.get(label);
    try {
      await page.waitForFunction(want => {
        const view = window.readView();
        return Object.keys(want).every(key => view[key] === want[key]);
      }, want, { timeout, polling: 50 });
    } catch (error) {
      const seen = await page.evaluate(readView).catch(e => `unreadable: ${e.message}`);
      throw new Error(`${label}'s page did not show ${JSON.stringify(want)} within ` +
                      `${timeout} ms; it shows ${JSON.stringify(seen)} at ${page.url()}`);
    }
  }

  async view(label) {
    return this.pages.get(label).evaluate(readView);
  }

  async screenshot(label, name) {
    const file = path.join(ARTIFACTS, `${this.testName}-${name}.png`);
    await this.pages.get(label).screenshot({ path: file, fullPage: true });
    console.log(`screenshot: ${file}`);
  }

  // Resolves once live.js has seen its connection drop and is trying to
  // connect again: it opened a WebSocket after the one it had. From then on
  // a liveSend is held, not written to a closing socket (and lost).
  async reconnecting(label, timeout) {
    const sockets = this.sockets.get(label);
    const before = sockets.length;
    const deadline = Date.now() + timeout;
    while (sockets.length === before) {
      if (Date.now() > deadline) {
        throw new Error(`${label}'s page did not try to reconnect within ${timeout} ms`);
      }
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  }

  // Console errors and uncaught exceptions, but those `expected` accepts, as
  // readable lines. (Pages declare an empty icon, so not even a favicon 404
  // is expected.)
  unexpectedErrors(expected = () => false) {
    return this.errors.filter(e => !expected(e))
                      .map(e => `${e.label}: ${e.text} (${e.where})`);
  }

  async close(failed) {
    for (const [label, page] of this.pages) {
      if (failed) await this.screenshot(label, `${label.toLowerCase()}-failure`).catch(() => {});
      await page.context().close().catch(() => {});
    }
  }
}

// The tic-tac-toe game as both pages must show it: X is participant 1.
class Table {
  constructor(players) {
    this.players = players;
    this.board = EMPTY;
  }

  get winner() {
    const b = this.board;
    const line = LINES.find(([x, y, z]) => b[x] !== ' ' && b[x] === b[y] && b[y] === b[z]);
    return line ? (b[line[0]] === 'X' ? 1 : 2) : null;
  }

  get turn() {
    return [...this.board].filter(mark => mark !== ' ').length % 2 === 0 ? 1 : 2;
  }

  // The live page's status line for player `me` (games/tictactoe/live.html).
  status(me) {
    const mark = id => (id === 1 ? 'X' : 'O');
    const winner = this.winner;
    if (winner !== null) {
      return winner === me ? 'You won!' : `Player ${winner} (${mark(winner)}) won.`;
    }
    if (this.turn === me) return `Your turn: place an ${mark(me)}.`;
    return `Waiting for player ${this.turn} (${mark(this.turn)}).`;
  }

  want(me) {
    return { board: this.board, status: this.status(me), error: null,
             next: this.winner === null ? null : 'Next' };
  }

  async bothShowIt(timeout = VIEW_MS) {
    await Promise.all([this.players.waitFor('X', this.want(1), timeout),
                       this.players.waitFor('O', this.want(2), timeout)]);
  }

  // The player whose turn it is clicks `square`; both pages must show it.
  async move(square) {
    const label = this.turn === 1 ? 'X' : 'O';
    await this.players.pages.get(label).click(`#square-${square}`);
    this.board = this.board.slice(0, square) + label + this.board.slice(square + 1);
    await this.bothShowIt();
  }
}

// ---- tests ----

async function two_browsers_play_tictactoe_to_a_win_and_both_reach_the_results(players) {
  const server = await Server.start(LIVECTL, {
    db: path.join(TMP, 'game.db'), args: ['--game', 'tictactoe', '--participants', '2'] });
  assert.equal(server.links.length, 2, server.stdout);
  // X opens the link first: X may be shown a wait page until O is there
  // too, which moves on to the live page by itself (a page frame).
  await players.open('X', server.links[0]);
  await players.screenshot('X', 'x-opened-first');
  await players.open('O', server.links[1]);
  const table = new Table(players);
  await table.bothShowIt();

  await table.move(0);
  await table.move(3);
  // Illegal clicks change nothing and tell only the clicker why.
  await players.pages.get('O').click('#square-5');
  await players.waitFor('O', { ...table.want(2), error: 'not your turn' });
  await players.pages.get('X').click('#square-3');
  await players.waitFor('X', { ...table.want(1), error: 'square 3 is taken' });
  await players.screenshot('X', 'x-midgame');
  await players.screenshot('O', 'o-midgame');
  await table.move(1);  // the next state clears the error
  await table.move(4);
  await table.move(2);
  assert.equal(table.winner, 1);
  assert.equal(table.board, 'XXXOO    ');
  await players.screenshot('X', 'x-end');
  await players.screenshot('O', 'o-end');

  // Next submits the live page's form: both reach the results page.
  for (const [label, outcome] of [['X', 'You won!'], ['O', 'Player 1 (X) won.']]) {
    await players.pages.get(label).click('#next');
    await players.waitFor(label, { outcome, final: table.board });
    await players.screenshot(label, `${label.toLowerCase()}-results`);
  }
  await server.stop();
  // Pages of a stopped server try to reconnect: those failures are expected.
  assert.deepEqual(players.unexpectedErrors(isFailedWebSocket), []);
}

async function a_page_reconnects_after_a_server_sigkill_and_shows_the_moves_it_missed(players) {
  const db = path.join(TMP, 'reconnect.db');
  const server = await Server.start(LIVECTL, {
    db, args: ['--game', 'tictactoe', '--participants', '2'] });
  await players.open('X', server.links[0]);
  await players.open('O', server.links[1]);
  const table = new Table(players);
  await table.bothShowIt();
  await table.move(0);
  await table.move(3);
  // A page that reconnects must keep its JavaScript state (no reload): mark
  // it, and count live.js's livereconnect events.
  for (const page of players.pages.values()) {
    await page.evaluate(() => {
      window.keptAcrossReconnect = true;
      window.reconnects = 0;
      document.addEventListener('livereconnect', () => { window.reconnects += 1; });
    });
  }

  // O's browser goes offline, so it misses X's next move; then the server
  // dies without committing or closing anything.
  await players.pages.get('O').context().setOffline(true);
  const xReconnecting = players.reconnecting('X', VIEW_MS);
  const oReconnecting = players.reconnecting('O', VIEW_MS);
  await server.crash();
  await Promise.all([xReconnecting, oReconnecting]);
  // X moves while the server is down: live.js holds the message until it
  // has reconnected.
  await players.pages.get('X').click('#square-1');
  await players.screenshot('X', 'x-server-down');

  const again = await Server.start(LIVECTL, { db, port: server.port });
  assert.deepEqual(again.links, server.links, again.stdout);
  table.board = 'XX O     ';
  await players.waitFor('X', table.want(1), RECONNECT_MS);
  assert.deepEqual(await players.view('O'), { ...table.want(2), board: 'X  O     ',
                                              status: 'Waiting for player 1 (X).',
                                              outcome: null, final: null });
  await players.screenshot('O', 'o-offline');

  // Back online, O's page reconnects by itself and asks for the state.
  await players.pages.get('O').context().setOffline(false);
  await players.waitFor('O', table.want(2), RECONNECT_MS);
  for (const [label, page] of players.pages) {
    const { kept, reconnects } = await page.evaluate(
        () => ({ kept: window.keptAcrossReconnect, reconnects: window.reconnects }));
    assert.equal(kept, true, `${label}'s page reloaded instead of reconnecting`);
    assert.ok(reconnects >= 1, `${label}'s page saw no livereconnect event`);
  }
  await table.move(4);
  await table.move(2);
  assert.equal(table.winner, 1);
  await players.screenshot('X', 'x-end');
  await players.screenshot('O', 'o-end');
  await again.stop();
  assert.deepEqual(players.unexpectedErrors(isFailedWebSocket), []);
}

// What a page of oTree's auction shows (tests/browser/otree_auction/live.html);
// runs in the page. Bids are "player:bid", in the order the table lists them.
function readAuction() {
  const heading = document.querySelector('h2.otree-title');
  const line = document.getElementById('js-vars');
  return {
    title: document.title,
    heading: heading && heading.textContent,
    bids: [...document.querySelectorAll('#history tr')]
      .filter(row => row.cells.length > 0 && row.cells[0].tagName === 'TD')
      .map(row => [...row.cells].map(cell => cell.textContent).join(':')),
    jsVars: line && line.textContent,
  };
}

async function waitForAuction(players, label, want) {
  const page = players.pages.get(label);
  try {
    await page.waitForFunction(
        want => JSON.stringify(window.readAuction()) === JSON.stringify(want),
        want, { timeout: VIEW_MS, polling: 50 });
  } catch (error) {
    const seen = await page.evaluate(readAuction).catch(e => `unreadable: ${e.message}`);
    throw new Error(`${label}'s page did not show ${JSON.stringify(want)} within ${VIEW_MS} ms; ` +
                    `it shows ${JSON.stringify(seen)} at ${page.url()}`);
  }
}

async function three_browsers_bid_in_otrees_auction_template_and_every_page_shows_each_bid(
    players) {
  assert.ok(OTREE_STUDY, 'this test needs --otree-study: the livectl_otree_test binary');
  const server = await Server.start(OTREE_STUDY, {
    db: path.join(TMP, 'otree.db'), args: ['--game', 'otree_auction'] });
  assert.equal(server.links.length, 3, server.stdout);
  const labels = ['P1', 'P2', 'P3'];
  for (const [index, label] of labels.entries()) await players.open(label, server.links[index]);
  // The title block is the <title> and the heading; js_vars comes from the
  // game (OtreeAuction::js_vars), its motto intact although it holds
  // "</script>", "<!--" and the two line separators.
  const want = id => ({
    title: 'Auction', heading: 'Auction', bids,
    jsVars: `You are player ${id}. Bid high </script><!-- \u2028or go home\u2029` });
  let bids = [];
  const everyPageShowsTheBids = () =>
    Promise.all(labels.map((label, index) => waitForAuction(players, label, want(index + 1))));
  await everyPageShowsTheBids();
  const bid = async (label, amount) => {
    const page = players.pages.get(label);
    await page.fill('#inputbox', String(amount));
    await page.click('button[onclick="sendValue()"]');
  };
  await bid('P1', 10);
  bids = ['1:10'];
  await everyPageShowsTheBids();
  await bid('P2', 25);
  bids = ['1:10', '2:25'];
  await everyPageShowsTheBids();
  // Not above the highest bid: live_method returns nothing, so no page
  // shows it; the next higher bid is the next row everywhere.
  await bid('P3', 5);
  await bid('P3', 30);
  bids = ['1:10', '2:25', '3:30'];
  await everyPageShowsTheBids();
  for (const label of labels) await players.screenshot(label, label.toLowerCase());
  await server.stop();
  // The stopped server's pages try to reconnect (0.25 s later, sooner than
  // a slow stop under a sanitizer returns): those failures are expected.
  assert.deepEqual(players.unexpectedErrors(isFailedWebSocket), []);
}

// A lab's room (docs/protocol.md, "Rooms"): two PCs wait on the room's
// waiting page, one by its label link and one through the label form, until
// the experimenter creates the session on the admin page; both pages then
// move on by themselves to their participants' pages.
async function two_pcs_wait_in_a_room_until_the_experimenter_creates_the_session(players) {
  const labels = path.join(TMP, 'labels.txt');
  fs.writeFileSync(labels, 'PC01\nPC02\n');
  const server = await Server.start(LIVECTL, {
    db: path.join(TMP, 'room.db'),
    args: ['--room', 'lab', '--labels', labels, '--admin-password', 'pw'] });
  const waiting = 'Waiting for the experimenter to start the session. This page moves on by itself.';
  const showsWaiting = async label => {
    const page = players.pages.get(label);
    await page.waitForFunction(
        text => document.getElementById('waiting')?.textContent === text, waiting);
  };
  await players.open('PC01', `${server.base}/room/lab?participant_label=PC01`);
  await showsWaiting('PC01');
  const form = await players.open('PC02', `${server.base}/room/lab`);
  await form.fill('input[name="participant_label"]', 'PC02');
  await form.click('button[type="submit"]');
  await showsWaiting('PC02');
  await players.screenshot('PC01', 'waiting');

  // The experimenter, in a browser of their own, creates a tic-tac-toe in the room.
  const admin = await players.browser.newContext({
    httpCredentials: { username: 'experimenter', password: 'pw' } });
  try {
    const monitor = await admin.newPage();
    monitor.setDefaultTimeout(VIEW_MS);
    await monitor.goto(`${server.base}/admin`, { timeout: VIEW_MS });
    await monitor.selectOption('select[name="config"]', 'tictactoe');
    assert.equal(await monitor.inputValue('select[name="room"]'), 'lab');
    await Promise.all([monitor.waitForURL(/\/admin\/s\/\w+$/),
                       monitor.click('button[type="submit"]')]);

    // Both waiting pages reload by themselves, reach their participants,
    // and the game starts: the group is complete. The monitor's Label
    // column shows who came with which label.
    for (const label of ['PC01', 'PC02']) {
      await players.waitFor(label, { board: EMPTY, error: null });
    }
    await monitor.waitForFunction(() => [...document.querySelectorAll('#players tbody tr')]
        .map(row => row.cells[1].textContent).sort().join() === 'PC01,PC02', null,
        { polling: 100 });
  } finally {
    await admin.close();
  }
  const pageOf = label => new URL(players.pages.get(label).url()).pathname;
  assert.match(pageOf('PC01'), /^\/p\/\w+$/);
  assert.match(pageOf('PC02'), /^\/p\/\w+$/);
  assert.notEqual(pageOf('PC01'), pageOf('PC02'));
  await players.screenshot('PC02', 'moved-on');
  // The label link again: the same participant.
  const before = pageOf('PC01');
  await players.pages.get('PC01').goto(`${server.base}/room/lab?participant_label=PC01`);
  assert.equal(pageOf('PC01'), before);
  // Its page connects again before the server stops: stopping during the
  // handshake resets it, which the page rightly reports (seen under ASan).
  await players.waitFor('PC01', { board: EMPTY, error: null });
  await server.stop();
  // Pages of a stopped server try to reconnect: those failures are expected.
  assert.deepEqual(players.unexpectedErrors(isFailedWebSocket), []);
}

// A participant played over plain HTTP, as a browser without scripts would:
// GET the link (arriving), POST a page's form. Polls to see a wait page
// move on.
class HttpParticipant {
  constructor(link) {
    this.link = link;
  }

  async page() {
    const response = await fetch(this.link);
    assert.equal(response.status, 200, this.link);
    const html = await response.text();
    return { index: Number(/data-page="(\d+)"/.exec(html)[1]), html };
  }

  async submit(values) {
    const { index } = await this.page();
    const response = await fetch(this.link, {
      method: 'POST', redirect: 'manual',
      body: new URLSearchParams({ page: String(index), ...values }) });
    assert.equal(response.status, 303, `${this.link}: ${await response.text()}`);
  }

  // Resolves with the page once its title matches `title`.
  async waitForTitle(title, timeout = VIEW_MS) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const page = await this.page();
      if (title.test(/<title>(.*?)<\/title>/s.exec(page.html)[1])) return page;
      if (Date.now() > deadline) throw new Error(`${this.link} never showed ${title}`);
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  }
}

// The admin as a script: Basic credentials, and the Origin a browser sends.
async function admin(server, pathname, form) {
  const headers = { Authorization: 'Basic ' + Buffer.from('experimenter:pw').toString('base64') };
  if (form) headers.Origin = server.base;
  return fetch(server.base + pathname, {
    method: form ? 'POST' : 'GET', redirect: 'manual', headers,
    body: form ? new URLSearchParams(form) : undefined });
}

async function twelve_play_public_goods_one_of_them_in_a_browser(players) {
  assert.ok(PUBLIC_GOODS, 'this test needs --public-goods: the public_goods study binary');
  const server = await Server.start(PUBLIC_GOODS, {
    db: path.join(TMP, 'public_goods.db'), args: ['--admin-password', 'pw'] });
  // The experimenter creates the treatment with multiplier 2.5.
  const created = await admin(server, '/admin/sessions', { config: 'pg_high' });
  assert.equal(created.status, 303);
  const code = /\/admin\/s\/(\w+)$/.exec(created.headers.get('location'))[1];
  const list = await (await admin(server, `/admin/s/${code}`)).text();
  const links = [...list.matchAll(/<a href="(http:\/\/[^"]+\/p\/\w+)">/g)].map(m => m[1]);
  assert.equal(links.length, 12);
  const others = links.slice(1).map(link => new HttpParticipant(link));

  // Participant 1 is a person in Chromium: the quiz refuses wrong answers
  // with the game's messages, and nothing moves.
  const page = await players.open('P1', links[0]);
  await page.fill('input[name="quiz_share"]', '10');
  await page.selectOption('select[name="quiz_best"]', 'half');
  await page.click('#next');
  await page.waitForFunction(() => document.querySelectorAll('.form-error').length === 2);
  const body = await page.textContent('body');
  assert.ok(body.includes('not quite: the pot is 30, doubled 60, shared by three'), body);
  assert.ok(body.includes('not quite: each point in the pot becomes more than one point'), body);
  assert.equal(await page.title(), 'Instructions');
  await players.screenshot('P1', 'quiz-refused');
  await page.fill('input[name="quiz_share"]', '20');
  await page.selectOption('select[name="quiz_best"]', 'everything');
  await page.click('#next');
  await page.waitForFunction(() => document.title === 'Round 1 of 3: your contribution');
  for (const other of others) await other.submit({ quiz_share: '20', quiz_best: 'everything' });

  let earned = 0;
  for (let round = 1; round <= 3; ++round) {
    const given = 4 * round;  // participant 1 gives 4, 8, 12
    await page.waitForSelector('input[name="contribution"]');
    await page.fill('input[name="contribution"]', String(given));
    await page.click('#next');
    // The browser waits for its group; the eleven others give and move on.
    await Promise.all(others.map(async (other, i) => {
      await other.waitForTitle(/your contribution$/);
      await other.submit({ contribution: String((i * 7 + round) % 21) });
    }));
    // Participant 1's wait page hears the group complete and loads the results.
    await page.waitForFunction(round => document.title === `Round ${round} of 3: results`, round);
    const cells = await page.$$eval('td', tds => tds.map(td => td.textContent));
    const points = label => Number(cells[cells.indexOf(label) + 1].split(' ')[0]);
    assert.equal(points('You put in the pot'), given);
    const total = points('Your group put in the pot');
    assert.equal(points('Each of you gets back'), total * 2.5 / 3);
    assert.equal(points('Your earnings this round'), 20 - given + total * 2.5 / 3);
    earned += 20 - given + total * 2.5 / 3;
    // The monitor agrees: the group participant 1 is in this round put in `total`.
    const state = await (await admin(server, `/admin/api/s/${code}`)).json();
    const mine = state.players[0];
    const group = state.groups.find(g => g.round_number === round &&
                                         g.id_in_subsession === mine.group);
    assert.equal(group.fields.total_contribution, total);
    if (round === 1) await players.screenshot('P1', 'round-1-results');
    await page.click('#next');
    await Promise.all(others.map(async other => {
      await other.waitForTitle(/: results$/);
      await other.submit({});
    }));
  }
  await page.waitForFunction(() => document.title === 'Thank you');
  const finished = await page.textContent('body');
  const shown = Number(/you earned (\S+) points/.exec(finished)[1]);
  assert.ok(Math.abs(shown - earned) < 1e-9, `${shown} != ${earned}`);
  await players.screenshot('P1', 'finished');

  // The payments page: participant 1's points, money at 0.1 a point and the fee of 5.
  const payments = await (await admin(server, `/admin/s/${code}/payments`)).text();
  const row = /<tr><td>1<\/td>.*?<\/tr>/.exec(payments)[0];
  const money = Math.round((earned * 0.1 + 5) * 100) / 100;
  assert.ok(row.includes(money.toFixed(2)), `${row} lacks ${money.toFixed(2)}`);
  await server.stop();
  // Pages of a stopped server try to reconnect: those failures are expected.
  assert.deepEqual(players.unexpectedErrors(isFailedWebSocket), []);
}

async function a_buyer_and_a_seller_trade_in_the_double_auction_and_see_their_profits(players) {
  assert.ok(DOUBLE_AUCTION, 'this test needs --double-auction: the double_auction study binary');
  // Every value 80 and every cost 30, so the profits are known.
  const server = await Server.start(DOUBLE_AUCTION, {
    db: path.join(TMP, 'double_auction.db'),
    args: ['--config', 'market', '--participants', '4', '--set', 'value_low=80',
           '--set', 'value_high=80', '--set', 'cost_low=30', '--set', 'cost_high=30'] });
  assert.equal(server.links.length, 4);
  // Traders 1 and 2 buy, 3 and 4 sell: 1 and 3 in Chromium, 2 and 4 over HTTP.
  const buyer = await players.open('Buyer', server.links[0]);
  const seller = await players.open('Seller', server.links[2]);
  const idle = [server.links[1], server.links[3]].map(link => new HttpParticipant(link));
  for (const page of [buyer, seller]) await page.click('#next');
  for (const other of idle) await other.submit({});
  await buyer.waitForFunction(() => document.getElementById('me').textContent.startsWith(
      'You are a buyer (trader 1): your value is 80.'));
  await seller.waitForFunction(() => document.getElementById('me').textContent.startsWith(
      'You are a seller (trader 3): your cost is 30.'));

  const lists = page => page.evaluate(() => Object.fromEntries(['bids', 'asks', 'trades'].map(
      id => [id, [...document.getElementById(id).children].map(li => li.textContent)])));
  const shows = (page, want) => page.waitForFunction(want => {
    const text = id => [...document.getElementById(id).children].map(li => li.textContent);
    return Object.keys(want).every(id => JSON.stringify(text(id)) === JSON.stringify(want[id]));
  }, want);
  await buyer.fill('#price', '60');
  await buyer.click('#send-offer');
  const book = { bids: ['60 (trader 1)'], asks: [], trades: [] };
  await Promise.all([shows(buyer, book), shows(seller, book)]);
  // The seller's ask of 55 meets the standing bid: a trade at the bid's 60.
  await seller.fill('#price', '55');
  await seller.click('#send-offer');
  const traded = { bids: [], asks: [], trades: ['trader 1 bought from trader 3 at 60'] };
  await Promise.all([shows(buyer, traded), shows(seller, traded)]);
  assert.deepEqual(await lists(seller), traded);
  await players.screenshot('Buyer', 'traded');

  // Everyone leaves the market; the wait page pays the round's profits.
  for (const page of [buyer, seller]) await page.click('#next');
  for (const other of idle) await other.submit({});
  const earnings = page => page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('td')].map(td => td.textContent);
    const at = cells.indexOf('Your earnings this round');
    return at >= 0 ? cells[at + 1] : null;
  }).then(handle => handle.jsonValue());
  assert.equal(await earnings(buyer), '20 points');   // value 80 - price 60
  assert.equal(await earnings(seller), '30 points');  // price 60 - cost 30
  await players.screenshot('Seller', 'results');
  await server.stop();
  // Pages of a stopped server try to reconnect: those failures are expected.
  assert.deepEqual(players.unexpectedErrors(isFailedWebSocket), []);
}

async function two_browsers_chat_and_a_page_keeps_the_chat_across_a_reload_a_drop_and_a_restart(
    players) {
  assert.ok(CONTINUOUS, 'this test needs --continuous: the continuous study binary');
  const db = path.join(TMP, 'group_chat.db');
  const server = await Server.start(CONTINUOUS, {
    db, args: ['--config', 'group_chat', '--participants', '3'] });
  const a = await players.open('A', server.links[0]);
  const b = await players.open('B', server.links[1]);
  // The messages a page shows; not whether someone left and came back
  // (a slow reconnect after the restart may be announced).
  const chat = page => page.evaluate(() => [...document.querySelectorAll(
      '#messages li:not(.chat-presence)')].map(li => li.textContent));
  const shows = (page, want, ms = VIEW_MS) => page.waitForFunction(want => JSON.stringify(
      [...document.querySelectorAll('#messages li:not(.chat-presence)')].map(
          li => li.textContent)) === JSON.stringify(want), want, { timeout: ms });
  const say = async (page, text) => {
    await page.fill('#text', text);
    await page.click('#send');
  };
  const said = ['Player 1: hello 👋🏽', 'Player 2: 世界 <b>not bold</b> & "quotes"'];
  await say(a, 'hello 👋🏽');
  await shows(b, said.slice(0, 1));
  await say(b, '世界 <b>not bold</b> & "quotes"');
  await Promise.all([shows(a, said), shows(b, said)]);
  // Markup in a message is text, never markup.
  assert.equal(await b.evaluate(() => document.querySelectorAll('#messages b').length), 0);

  // A reload: the page's history brings the chat back, each message once.
  await a.reload();
  await shows(a, said);
  await players.screenshot('A', 'reloaded');

  // B goes offline and misses two messages; back online, its page
  // reconnects by itself and gets both, without a reload and nothing twice.
  await b.evaluate(() => { window.keptAcrossReconnect = true; });
  await b.context().setOffline(true);
  await say(a, 'are you there?');
  await say(a, 'hello?');
  const four = [...said, 'Player 1: are you there?', 'Player 1: hello?'];
  await shows(a, four);
  await b.context().setOffline(false);
  await shows(b, four, RECONNECT_MS);
  assert.equal(await b.evaluate(() => window.keptAcrossReconnect), true, 'B reloaded');

  // The server dies; the restarted one gives a reloaded page the whole chat
  // from the store, and the conversation goes on.
  const reconnecting = players.reconnecting('B', VIEW_MS);
  await server.crash();
  await reconnecting;
  const again = await Server.start(CONTINUOUS, { db, port: server.port });
  await b.reload();
  await shows(b, four, RECONNECT_MS);
  await say(b, 'back');
  const five = [...four, 'Player 2: back'];
  await Promise.all([shows(a, five, RECONNECT_MS), shows(b, five)]);
  assert.deepEqual(await chat(a), five);
  await players.screenshot('B', 'after-restart');
  await again.stop();
  assert.deepEqual(players.unexpectedErrors(isFailedWebSocket), []);
}

async function two_browsers_hold_sliders_and_earn_at_every_tick_of_the_period(players) {
  assert.ok(CONTINUOUS, 'this test needs --continuous: the continuous study binary');
  const server = await Server.start(CONTINUOUS, {
    db: path.join(TMP, 'slider.db'), args: ['--config', 'slider_short', '--participants', '4'] });
  // Players 1 and 2 in Chromium, 3 and 4 over HTTP.
  const a = await players.open('A', server.links[0]);
  const b = await players.open('B', server.links[1]);
  const others = [server.links[2], server.links[3]].map(link => new HttpParticipant(link));
  for (const page of [a, b]) await page.click('#next');
  const status = page => page.evaluate(() => document.getElementById('time-left').textContent);
  await a.waitForFunction(() => document.getElementById('slider') !== null);
  // Half the group is here: the period waits, and nothing ticks.
  await a.waitForFunction(() => document.getElementById('time-left').textContent ===
      'Waiting for the whole group…', null, { timeout: VIEW_MS });
  await new Promise(resolve => setTimeout(resolve, 500));
  assert.equal(await status(a), 'Waiting for the whole group…');
  for (const other of others) await other.submit({});
  const ticking = page => page.waitForFunction(() => document.getElementById('time-left')
      .textContent.startsWith('Tick '), null, { timeout: VIEW_MS });
  await Promise.all([ticking(a), ticking(b)]);

  // A puts everything in the pot: the next tick shows it on B's page.
  await a.evaluate(() => {
    const slider = document.getElementById('slider');
    slider.value = '100';
    slider.dispatchEvent(new Event('input'));
  });
  await b.waitForFunction(() => {
    const first = document.querySelector('#group tr');
    return first !== null && first.children[1].textContent === '100';
  }, null, { timeout: VIEW_MS });
  await players.screenshot('B', 'ticking');

  // The period's 10 s end by its timer: both pages move to the results,
  // where A, who gave, has earned less than B.
  const earned = page => page.waitForFunction(() => {
    const text = document.body.textContent;
    const match = /The period is over after 100 ticks\.\s*You earned ([\d.]+) points/.exec(text);
    return match ? Number(match[1]) : null;
  }, null, { timeout: VIEW_MS }).then(handle => handle.jsonValue());
  const [fromA, fromB] = await Promise.all([earned(a), earned(b)]);
  assert.ok(fromA < fromB && fromA > 0, `A earned ${fromA}, B ${fromB}`);
  await players.screenshot('A', 'results');
  await server.stop();
  assert.deepEqual(players.unexpectedErrors(isFailedWebSocket), []);
}

// The continuous double auction as the issue asks for it: 30 bots (livectl
// bench, over real WebSockets) and two Chromium traders in one market; one
// tab goes offline for ten seconds while the bots trade, and back online
// its page has every trade it missed, none twice.
async function thirty_bots_and_two_browsers_trade_and_an_offline_tab_misses_no_trade(players) {
  assert.ok(CONTINUOUS, 'this test needs --continuous: the continuous study binary');
  const db = path.join(TMP, 'market.db');
  const server = await Server.start(CONTINUOUS, {
    db, args: ['--config', 'market_short', '--set', 'period_ms=45000', '--set', 'units=6',
               '--max-rate', '0'] });
  assert.equal(server.links.length, 32);
  // Traders 31 (a buyer) and 32 (a seller) in Chromium; 1..30 are bots.
  const buyer = await players.open('Buyer', server.links[30]);
  const seller = await players.open('Seller', server.links[31]);
  const bench = spawn(CONTINUOUS, ['bench', '--db', db, '--port', String(server.port), '-n', '30',
                                   '--rate', '2', '--duration', '22', '--json', '--quiet'],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  let benchOut = '';
  let benchErr = '';
  bench.stdout.on('data', chunk => { benchOut += chunk; });
  bench.stderr.on('data', chunk => { benchErr += chunk; });
  const benchDone = new Promise(resolve => bench.on('exit', code => resolve(code)));
  try {
    // The market opens once all 32 pages are open.
    for (const page of [buyer, seller]) {
      await page.waitForFunction(() => document.getElementById('status').textContent
          .startsWith('The market is open'), null, { timeout: VIEW_MS });
    }
    // Each browser posts an order it cannot lose on: it rests or trades.
    await buyer.fill('#price', String(await buyer.evaluate(() => js_vars.limit)));
    await buyer.click('#post');
    await seller.fill('#price', String(await seller.evaluate(() => js_vars.limit)));
    await seller.click('#post');
    const placed = page => page.waitForFunction(() =>
      document.querySelector('li.market-mine') !== null, null, { timeout: VIEW_MS });
    await Promise.all([placed(buyer), placed(seller)]);

    // Every trade a page is delivered, counted where live.js hands it to the
    // page: the ones it shows now, then each trade frame as it arrives.
    const count = page => page.evaluate(() => {
      window.tradesDelivered = [...document.querySelectorAll('#trades li')].map(
          li => Number(li.dataset.trade));
      const pageRecv = window.liveRecv;
      window.liveRecv = data => {
        if ('trade' in data) window.tradesDelivered.push(data.trade.id);
        pageRecv(data);
      };
    });
    await Promise.all([count(buyer), count(seller)]);
    const delivered = page => page.evaluate(() => window.tradesDelivered);

    // The seller's tab goes offline for ten seconds; the bots go on.
    await seller.evaluate(() => { window.keptAcrossReconnect = true; });
    const tradesBefore = (await delivered(seller)).length;
    await seller.context().setOffline(true);
    await new Promise(resolve => setTimeout(resolve, 10000));
    const missed = (await delivered(buyer)).length - tradesBefore;
    await seller.context().setOffline(false);
    assert.ok(missed > 0, `the bots traded while the tab was offline (${missed} trades)`);

    const code = await benchDone;
    assert.equal(code, 0, `bench failed:\n${benchOut}\n${benchErr}`);
    // The bots have stopped: both pages must now have had the same trades,
    // every id from 1 up exactly once, and show them all.
    await seller.waitForFunction(want => window.tradesDelivered.length >= want,
                                 (await delivered(buyer)).length, { timeout: RECONNECT_MS });
    const seen = await delivered(buyer);
    assert.deepEqual(seen, [...seen.keys()].map(i => i + 1), 'trade ids 1..n in order');
    assert.deepEqual(await delivered(seller), seen);
    assert.equal(await seller.evaluate(() => window.keptAcrossReconnect), true, 'Seller reloaded');
    const shown = await seller.evaluate(() => document.querySelectorAll('#trades li').length);
    assert.equal(shown, seen.length);
    console.log(`  market: ${seen.length} trades, ${missed} of them while a tab was offline; ` +
                `bench ${JSON.parse(benchOut).messages ?? '?'} messages`);
    await players.screenshot('Seller', 'after-offline');
  } finally {
    bench.kill('SIGKILL');
  }
  await server.stop();
  assert.deepEqual(players.unexpectedErrors(isFailedWebSocket), []);
}

// ---- runner ----

async function main() {
  // Only this run's screenshots: a failure's from an earlier run would mislead.
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const file of fs.readdirSync(ARTIFACTS)) {
    if (file.endsWith('.png')) fs.rmSync(path.join(ARTIFACTS, file));
  }
  const watchdog = setTimeout(() => {
    console.error(`FAIL: the browser tests did not finish within ${WATCHDOG_MS} ms`);
    killAll();
    process.exit(1);
  }, WATCHDOG_MS);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => { killAll(); process.exit(1); });
  }

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60000,
    // Without the background-networking flags Chromium keeps reaching for
    // Google's hosts, which this machine's closed network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  // Each test with the prefix of its screenshots.
  const tests = [
    [two_browsers_play_tictactoe_to_a_win_and_both_reach_the_results, 'game'],
    [a_page_reconnects_after_a_server_sigkill_and_shows_the_moves_it_missed, 'reconnect'],
    [three_browsers_bid_in_otrees_auction_template_and_every_page_shows_each_bid, 'otree'],
    [two_pcs_wait_in_a_room_until_the_experimenter_creates_the_session, 'room'],
    [twelve_play_public_goods_one_of_them_in_a_browser, 'public-goods'],
    [a_buyer_and_a_seller_trade_in_the_double_auction_and_see_their_profits, 'double-auction'],
    [two_browsers_chat_and_a_page_keeps_the_chat_across_a_reload_a_drop_and_a_restart, 'chat'],
    [two_browsers_hold_sliders_and_earn_at_every_tick_of_the_period, 'slider'],
    [thirty_bots_and_two_browsers_trade_and_an_offline_tab_misses_no_trade, 'market'],
  ].filter(([test]) => test.name.includes(ONLY));
  let failed = 0;
  for (const [test, prefix] of tests) {
    const started = Date.now();
    const players = new Players(browser, prefix);
    let error = null;
    try {
      await test(players);
    } catch (e) {
      error = e;
    }
    killAll();
    await players.close(error !== null);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (error === null) {
      console.log(`ok   ${test.name} (${seconds} s)`);
    } else {
      failed += 1;
      console.log(`FAIL ${test.name} (${seconds} s)`);
      console.log(error.stack || String(error));
      console.log('console of the pages:\n  ' + (players.console.join('\n  ') || '(empty)'));
      for (const server of Server.started) {
        const port = server.port ?? '(none: it never served)';
        const stderr = server.stderr.trim() || '(empty)';
        console.log(`stderr of livectl serve on port ${port}:\n${stderr}`);
      }
    }
    Server.started.length = 0;
  }
  await browser.close();
  clearTimeout(watchdog);
  console.log(`${tests.length - failed} passed, ${failed} failed`);
  if (failed === 0) {
    fs.rmSync(TMP, { recursive: true, force: true });
  } else {
    console.log(`databases kept in ${TMP}`);
  }
  return failed === 0 ? 0 : 1;
}

main().then(code => process.exit(code), error => {
  console.error(error.stack || String(error));
  killAll();
  process.exit(1);
});
