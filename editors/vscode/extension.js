// Starts `parley lsp` for .rules files. The server does the work: diagnostics, hover,
// definitions, references, completion, symbols and formatting all come from the compiler.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('parley');
  const server = { command: config.get('path', 'parley'), args: ['lsp'] };
  client = new LanguageClient('parley', 'Parley', { run: server, debug: server }, {
    documentSelector: [{ scheme: 'file', language: 'parley' }, { scheme: 'untitled', language: 'parley' }],
    initializationOptions: { includeDirs: config.get('includeDirs', []) },
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
