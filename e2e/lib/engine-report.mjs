// A node:test reporter that counts the tests of each browser engine: a test belongs to the
// engine its nearest enclosing suite names ("… in chromium", "in webkit"); tests outside
// any such suite are counted as "(no browser)". Prints one line per engine at the end, and
// the reasons of what was skipped. Used beside the spec reporter (see package.json).
const ENGINES = ['chromium', 'firefox', 'webkit'];

export default async function* engineReport(source) {
  const counts = new Map();
  const stack = [];
  const count = (engine) => {
    if (!counts.has(engine)) counts.set(engine, { passed: 0, failed: 0, skipped: 0, todo: 0, reasons: new Map() });
    return counts.get(engine);
  };
  const engineOf = (names) => {
    for (let i = names.length - 1; i >= 0; i--) {
      const found = ENGINES.find((e) => new RegExp(`\\b${e}\\b`).test(names[i]));
      if (found) return found;
    }
    return '(no browser)';
  };
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:start') {
      stack.length = data.nesting;
      stack[data.nesting] = data.name;
      continue;
    }
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    // A file's own entry (its path) is no test.
    if (data.nesting === 0 && data.name === data.file) continue;
    const isSuite = data.details?.type === 'suite';
    const names = stack.slice(0, data.nesting + 1);
    names[data.nesting] = data.name;
    const c = count(engineOf(names));
    if (data.skip !== undefined) {
      const why = `${isSuite ? 'suite' : 'test'} skipped: ${data.skip === true ? '(no reason)' : data.skip}`;
      c.reasons.set(why, (c.reasons.get(why) || 0) + 1);
      if (!isSuite) c.skipped += 1;
      continue;
    }
    if (isSuite) continue;
    if (data.todo !== undefined) c.todo += 1;
    else if (type === 'test:pass') c.passed += 1;
    else c.failed += 1;
  }
  let out = '\nbrowser tests by engine:\n';
  const order = [...ENGINES, '(no browser)'].filter((e) => counts.has(e));
  for (const engine of order) {
    const c = counts.get(engine);
    out += `  ${engine}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped${c.todo ? `, ${c.todo} todo` : ''}\n`;
    for (const [why, n] of c.reasons) out += `    ${n} × ${why}\n`;
  }
  yield out;
}
