// A whole debugging session of who_wrote_me.wat, driven by VS Code's own test client
// (@vscode/debugadapter-testsupport), the way VS Code drives an adapter. Run by
// tests/dap_client.rs with WASMSCOPE (the binary) and PROGRAM (the module) set.
'use strict';
const assert = require('assert');
const { DebugClient } = require('@vscode/debugadapter-testsupport');

async function stopped(dc, reason) {
  const event = await dc.waitForEvent('stopped');
  assert.strictEqual(event.body.reason, reason, JSON.stringify(event.body));
  return event;
}

async function local(dc, name) {
  const trace = await dc.stackTraceRequest({ threadId: 1 });
  const frameId = trace.body.stackFrames[0].id;
  const scopes = await dc.scopesRequest({ frameId });
  const locals = scopes.body.scopes.find((s) => s.name === 'Locals');
  const vars = await dc.variablesRequest({ variablesReference: locals.variablesReference });
  const found = vars.body.variables.find((v) => v.name === '$' + name || v.name === name);
  assert.ok(found, `no local ${name} in ${JSON.stringify(vars.body.variables)}`);
  return { value: found.value, frameId, top: trace.body.stackFrames[0] };
}

async function main() {
  const dc = new DebugClient(process.env.WASMSCOPE, 'dap', 'wasmscope');
  dc.defaultTimeout = 30000;
  await dc.start();
  try {
    const init = await dc.initializeRequest({
      adapterID: 'wasmscope', clientID: 'vscode', linesStartAt1: true, columnsStartAt1: true,
      pathFormat: 'path', supportsVariableType: true, supportsMemoryReferences: true,
    });
    for (const capability of ['supportsStepBack', 'supportsConfigurationDoneRequest',
      'supportsEvaluateForHovers', 'supportsSteppingGranularity', 'supportsExceptionInfoRequest']) {
      assert.strictEqual(init.body[capability], true, capability);
    }
    const filters = init.body.exceptionBreakpointFilters.map((f) => f.filter);
    assert.deepStrictEqual(filters, ['traps', 'unreachable', 'memory', 'arithmetic', 'stack']);

    await Promise.all([
      dc.waitForEvent('initialized'),
      dc.launchRequest({ program: process.env.PROGRAM }),
    ]);
    const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'set_name' }] });
    assert.strictEqual(set.body.breakpoints[0].verified, true);
    await dc.setExceptionBreakpointsRequest({ filters: ['traps'] });
    await Promise.all([dc.configurationDoneRequest(), stopped(dc, 'function breakpoint')]);

    let at = await local(dc, 'ptr');
    assert.strictEqual(at.value, '512');
    const evaluated = await dc.evaluateRequest({ expression: 'ptr', frameId: at.frameId, context: 'hover' });
    assert.strictEqual(evaluated.body.result, '512');

    await Promise.all([dc.continueRequest({ threadId: 1 }), stopped(dc, 'function breakpoint')]);
    at = await local(dc, 'ptr');
    assert.strictEqual(at.value, String(0x200 + 0x10000));

    await Promise.all([dc.continueRequest({ threadId: 1 }), stopped(dc, 'exception')]);
    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.strictEqual(info.body.exceptionId, 'MemoryOutOfBounds');

    await Promise.all([dc.stepBackRequest({ threadId: 1 }), stopped(dc, 'step')]);
    await Promise.all([dc.reverseContinueRequest({ threadId: 1 }), stopped(dc, 'function breakpoint')]);
    await Promise.all([dc.continueRequest({ threadId: 1 }), stopped(dc, 'exception')]);
    await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent('terminated')]);
    console.log('ok: a whole session through VS Code\'s test client');
  } finally {
    await dc.stop();
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
