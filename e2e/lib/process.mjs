// Servers and browsers the tests start, each in a process group of its own that ends with
// the test process, whichever way it ends (see LEADER), so that nothing outlives a test.
import { spawn } from 'node:child_process';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every process group started here, so that nothing outlives the test process.
const groups = new Set();
const killAll = () => {
  for (const pid of groups) killGroup(pid, 'SIGKILL');
};
process.on('exit', killAll);
// A signal would end the process without 'exit': end the groups, then die of the signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

// The leader of each group: a shell that runs the program and holds the read end of a
// pipe from this process. When this process dies, however (SIGKILL included: no exit
// handler runs then), the pipe reads end-of-file and the shell kills its whole group. The
// shell outlives a SIGTERM to the group (a handler, which the program does not inherit)
// until the program has exited, and then ends the group: so the program may shut down
// gracefully, and its exit is seen here as the leader's.
const LEADER =
  'trap : TERM; exec 3<&0; "$0" "$@" <&- & p=$!; (read -r _ <&3; kill -KILL 0) & ' +
  'while kill -0 "$p" 2>/dev/null; do wait "$p"; done; kill -KILL 0';

/** Starts `bin` in a process group of its own (see LEADER); the returned child's `stop()`
 *  ends the group (SIGTERM, then SIGKILL for what is left after 3 s). `stderr`: 'pipe'
 *  (kept in `child.stderrText`, its first 4000 characters) or 'inherit'. */
export function startGroup(bin, args, env, { stderr = 'pipe' } = {}) {
  const child = spawn('/bin/sh', ['-c', LEADER, bin, ...args], { env, detached: true, stdio: ['pipe', 'pipe', stderr] });
  groups.add(child.pid);
  const exited = new Promise((r) => child.once('exit', r));
  child.stop = async () => {
    if (!groups.has(child.pid)) return;
    killGroup(child.pid, 'SIGTERM');
    // The leader's exit does not mean its children are gone: wait for the leader, then
    // end whatever is left of the group.
    await Promise.race([exited, sleep(3000)]);
    killGroup(child.pid, 'SIGKILL');
    groups.delete(child.pid);
  };
  child.stderrText = '';
  child.stderr?.on('data', (d) => {
    if (child.stderrText.length < 4000) child.stderrText += d;
  });
  return child;
}

