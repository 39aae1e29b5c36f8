// One `livectl serve` process for the browser tests: started on a port,
// its participants' links read from stdout, killed on any exit of the test.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');

const STARTUP_MS = 30000;   // a sanitized build opens its database and binds slowly
const STOP_MS = 15000;      // SIGTERM commits what was applied, then exits
const PORT_RETRY_MS = 10000;  // after a SIGKILL the port may stay busy for a moment

const running = new Set();

// The kernel kills a server when this process dies, even by SIGKILL (where
// no handler of ours runs): setpriv from util-linux, which Debian always has.
const SETPRIV = '/usr/bin/setpriv';

function killAll() {
  for (const server of running) server.kill();
}
process.on('exit', killAll);

class Server {
  // Every server started since the runner last emptied it, for failure reports.
  static started = [];

  // Starts `livectl serve --port PORT --db DB ...args` and resolves once it
  // printed "serving on"; rejects with its stderr if it exits first or is
  // not serving within STARTUP_MS. A port that is still in use (exit 2 after
  // a SIGKILL of the previous server) is retried for PORT_RETRY_MS.
  static async start(livectl, { db, port = 0, args = [] }) {
    const deadline = Date.now() + PORT_RETRY_MS;
    for (;;) {
      const server = new Server(livectl, db, port, args);
      try {
        await server.ready;
        return server;
      } catch (error) {
        const busy = /is in use by another program/.test(server.stderr);
        if (!busy || port === 0 || Date.now() > deadline) throw error;
        await new Promise(resolve => setTimeout(resolve, 200));
      }
    }
  }

  constructor(livectl, db, port, args) {
    const command = [livectl, 'serve', '--port', String(port), '--db', db, ...args];
    const pdeathsig = fs.existsSync(SETPRIV);
    this.proc = spawn(pdeathsig ? SETPRIV : command[0],
                      pdeathsig ? ['--pdeathsig', 'KILL', ...command] : command.slice(1),
                      { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this);
    Server.started.push(this);
    this.stdout = '';
    this.stderr = '';
    this.exited = new Promise(resolve => this.proc.on('exit', (code, signal) => {
      running.delete(this);
      resolve({ code, signal });
    }));
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', chunk => { this.stderr += chunk; });
    this.proc.stdout.setEncoding('utf8');
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(new Error(`livectl serve was not serving after ${STARTUP_MS} ms: stdout ` +
                         `${JSON.stringify(this.stdout)}, stderr ${JSON.stringify(this.stderr)}`));
      }, STARTUP_MS);
      this.proc.stdout.on('data', chunk => {
        this.stdout += chunk;
        const serving = /serving on (http:\/\/\S+)/.exec(this.stdout);
        if (!serving) return;
        clearTimeout(timer);
        this.base = serving[1];
        this.port = Number(new URL(this.base).port);
        this.links = [...this.stdout.matchAll(/participant \d+: (\S+\/p\/\w+)/g)].map(m => m[1]);
        resolve();
      });
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`livectl serve exited (code ${code}, signal ${signal}) before serving: ` +
                         this.stderr.trim()));
      });
    });
    this.ready.catch(() => {});  // start() reports it; no unhandled rejection meanwhile
  }

  // SIGKILL, as a crash or an OOM kill would; resolves once it is gone.
  async crash() {
    this.kill();
    await this.exited;
  }

  // SIGTERM, then checks the exit status: a sanitizer report (a leak at
  // exit, say) makes it non-zero and fails the test that started it.
  async stop() {
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), STOP_MS);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    if (code !== 0) {
      throw new Error(`livectl serve exited with code ${code} (signal ${signal}) on SIGTERM: ` +
                      this.stderr.trim());
    }
  }

  kill() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

module.exports = { Server, killAll };
