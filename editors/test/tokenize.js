// Tokenises .rules scripts with VS Code's own TextMate engine (vscode-textmate + the Oniguruma
// WebAssembly build) and the grammar in editors/vscode, and checks scopes: chosen tokens of a
// sample exactly, and on every shipped script the tokens whose role the line shows (a state's
// name, an intent's, a target, a placeholder, a comment). Exit 77 (skipped) when `npm ci` has not
// been run here, except in CI, where that is a failure.
'use strict';
const fs = require('fs');
const path = require('path');

const here = __dirname;
const root = path.resolve(here, '..', '..');
if (!fs.existsSync(path.join(here, 'node_modules', 'vscode-textmate'))) {
  console.log(`editors/test: node_modules missing; run: npm ci --prefix ${path.relative(process.cwd(), here) || '.'}`);
  process.exit(process.env.CI ? 1 : 77);
}
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

async function load_grammar() {
  const wasm = fs.readFileSync(path.join(here, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm')).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope !== 'source.parley') return null;
      const file = path.join(root, 'editors', 'vscode', 'syntaxes', 'parley.tmLanguage.json');
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  return registry.loadGrammar('source.parley');
}

// Each line's tokens: [{text, start, scopes}].
function tokenize(grammar, text) {
  let stack = vsctm.INITIAL;
  return text.split(/\r?\n/).map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), start: t.startIndex, scopes: t.scopes }));
  });
}

let checks = 0;
const failures = [];
function expect_scope(where, tokens, column, text, scope) {
  ++checks;
  const token = tokens.find((t) => t.start <= column && column < t.start + Math.max(t.text.length, 1));
  if (!token || !token.scopes.includes(scope) || !(token.text.startsWith(text) || text.startsWith(token.text)))
    failures.push(`${where}: '${text}' at column ${column + 1}: expected ${scope}, got ` +
                  (token ? `'${token.text}' ${token.scopes.join(' ')}` : 'no token'));
}

// Chosen tokens of a sample, exactly.
function check_sample(grammar) {
  const sample = [
    'include "common.rules"',                                   // 0
    'setting threshold = 0.6  # confirm below this',             // 1
    'slot days: number',                                         // 2
    'intent give_name: en "you are telling me your name"',       // 3
    'state intake initial action continue',                      // 4
    '  say en "Hello {name|there}, {name?{name}, hi|Hi}!"',      // 5
    '  on give_name, greet if not known(name) and days >= 2 -> stay', // 6
    '    do validate-purchase(username, email)',                 // 7
    '  after 30s -> hangup',                                     // 8
    'end',                                                       // 9
    'flow recover(found)',                                       // 10
    '  on bye -> recover(found -> close_call) # "not a string"', // 11
    '  say "{level=gold?As a gold member, |}welcome." do end-call', // 12
  ];
  const lines = tokenize(grammar, sample.join('\n'));
  const at = (line, text, scope, nth = 0) => {
    let column = -1;
    for (let i = 0; i <= nth; ++i) column = sample[line].indexOf(text, column + 1);
    expect_scope(`sample:${line + 1}`, lines[line], column, text, scope);
  };
  at(0, 'include', 'keyword.control.import.parley');
  at(0, '"common.rules"', 'string.quoted.double.parley');
  at(1, 'setting', 'storage.type.setting.parley');
  at(1, 'threshold', 'variable.parameter.setting.parley');
  at(1, '0.6', 'constant.numeric.parley');
  at(1, '# confirm', 'comment.line.number-sign.parley');
  at(2, 'slot', 'storage.type.slot.parley');
  at(2, 'days', 'variable.other.declaration.parley');
  at(2, 'number', 'support.type.number.parley');
  at(3, 'intent', 'storage.type.intent.parley');
  at(3, 'give_name', 'entity.name.label.parley');
  at(3, 'en "', 'constant.other.language-tag.parley');
  at(4, 'state', 'storage.type.state.parley');
  at(4, 'intake', 'entity.name.type.state.parley');
  at(4, 'initial', 'storage.modifier.initial.parley');
  at(4, 'continue', 'support.constant.action.parley');
  at(5, 'say', 'keyword.other.phrase.parley');
  at(5, 'name', 'variable.other.placeholder.parley');
  at(5, 'there', 'string.unquoted.fallback.parley');
  at(5, 'name', 'variable.other.placeholder.parley', 1);
  at(5, 'name', 'variable.other.placeholder.parley', 2);
  at(5, 'Hello', 'string.quoted.double.parley');
  at(6, 'on', 'keyword.control.trigger.parley');
  at(6, 'give_name', 'entity.name.label.parley');
  at(6, 'greet', 'entity.name.label.parley');
  at(6, 'if', 'keyword.control.conditional.parley');
  at(6, 'not', 'keyword.operator.logical.parley');
  at(6, 'known', 'support.function.known.parley');
  at(6, '>=', 'keyword.operator.comparison.parley');
  at(6, '->', 'keyword.operator.arrow.parley');
  at(6, 'stay', 'keyword.control.stay.parley');
  at(7, 'do', 'keyword.other.effect.parley');
  at(7, 'validate-purchase', 'entity.name.function.action.parley');
  at(8, 'after', 'keyword.control.trigger.parley');
  at(8, '30s', 'constant.numeric.duration.parley');
  at(8, 'hangup', 'entity.name.type.state.parley');
  at(9, 'end', 'keyword.control.end.parley');
  at(10, 'flow', 'storage.type.flow.parley');
  at(10, 'recover', 'entity.name.function.flow.parley');
  at(11, 'recover', 'entity.name.type.state.parley');
  at(11, 'close_call', 'entity.name.type.state.parley');
  at(11, '# "not', 'comment.line.number-sign.parley');
  at(12, 'level', 'variable.other.placeholder.parley');
  at(12, 'gold', 'string.unquoted.value.parley');
  at(12, 'end-call', 'entity.name.function.action.parley');
}

// On a shipped script: the tokens a line's shape says the role of.
function check_script(grammar, file) {
  const text = fs.readFileSync(file, 'utf8');
  const source = text.split(/\r?\n/);
  const lines = tokenize(grammar, text);
  const name = path.relative(root, file);
  source.forEach((line, i) => {
    const where = `${name}:${i + 1}`;
    const role = (re, scope) => {
      const m = re.exec(line);
      if (m) expect_scope(where, lines[i], m.index + m[0].length - m[1].length, m[1], scope);
    };
    role(/^\s*state\s+(\w+)/, 'entity.name.type.state.parley');
    role(/^\s*flow\s+(\w+)/, 'entity.name.function.flow.parley');
    role(/^\s*(?:intent|event)\s+(\w+)/, 'entity.name.label.parley');
    role(/^\s*(?:slot|counter|variable)\s+(\w+)/, 'variable.other.declaration.parley');
    role(/^\s*on\s+(\w+)/, 'entity.name.label.parley');
    role(/^\s*(#)/, 'comment.line.number-sign.parley');
    role(/^\s*(?:on|otherwise|after|complete)\b[^"#]*->\s*((?!stay\b)\w+)/, 'entity.name.type.state.parley');
    // Placeholders in the line's strings (not in its comment).
    const code = line.replace(/"(?:[^"\\]|\\.)*"|#.*$/g, (s) => (s.startsWith('#') ? '' : s));
    for (const m of code.matchAll(/"(?:[^"\\]|\\.)*"/g))
      for (const p of m[0].matchAll(/\{(\w+)[}|?]/g)) expect_scope(where, lines[i], m.index + p.index + 1, p[1], 'variable.other.placeholder.parley');
  });
}

function scripts() {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.rules')) out.push(full);
    }
  };
  walk(path.join(root, 'rules'));
  walk(path.join(root, 'examples'));
  return out.sort();
}

load_grammar().then((grammar) => {
  check_sample(grammar);
  const files = scripts();
  for (const file of files) check_script(grammar, file);
  for (const f of failures) console.log(f);
  console.log(`editors/test: ${checks - failures.length} of ${checks} scope checks passed (a sample and ${files.length} scripts)`);
  process.exit(failures.length ? 1 : 0);
}).catch((e) => {
  console.log(e);
  process.exit(1);
});
