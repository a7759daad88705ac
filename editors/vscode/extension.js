// Tells VS Code how to start the debug adapter: `wasmscope dap` (on PATH, or the path in the
// setting `wasmscope.path`), speaking the Debug Adapter Protocol on stdin and stdout.
const vscode = require('vscode');

function activate(context) {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('wasmscope', {
      createDebugAdapterDescriptor() {
        const command = vscode.workspace.getConfiguration('wasmscope').get('path') || 'wasmscope';
        return new vscode.DebugAdapterExecutable(command, ['dap']);
      },
    })
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
