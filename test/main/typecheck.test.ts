import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '../..');
const SHELL = /^(electron\/main\/|electron\/preload\/|forge\.config\.ts$|test\/main\/)/;

function check(configFile: string, rootNames: string[]) {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, configFile), { noEmit: true }, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  })!;
  const program = ts.createProgram({ rootNames: rootNames.map((f) => path.join(root, f)), options: { ...parsed.options, noEmit: true } });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => {
    if (!d.file) return true;
    return SHELL.test(path.relative(root, d.file.fileName));
  });
  const text = diagnostics.map((d) => {
    const where = d.file ? `${path.relative(root, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
  return { program, text };
}

describe('the shell type-checks against electron\'s own .d.ts', () => {
  it('main process (tsconfig.node.json: no DOM)', { timeout: 120_000 }, () => {
    const { program, text } = check('tsconfig.node.json', ['electron/main/main.ts']);
    assert.deepEqual(text, []);
    const electronDts = program.getSourceFiles().find((f) => f.fileName.endsWith('node_modules/electron/electron.d.ts'));
    assert.ok(electronDts, 'electron.d.ts is what main.ts is checked against');
  });

  it('preload, forge.config.ts and the shell tests (tsconfig.json)', { timeout: 120_000 }, () => {
    const { text } = check('tsconfig.json', ['electron/preload/preload.ts', 'forge.config.ts', ...ts.sys.readDirectory(path.join(root, 'test/main'), ['.ts']).map((f) => path.relative(root, f))]);
    assert.deepEqual(text, []);
  });

  it('would report an error (the check can fail)', () => {
    const host = ts.createCompilerHost({ strict: true, noEmit: true });
    const program = ts.createProgram({ rootNames: [path.join(root, 'electron/main/quit.ts')], options: { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: ['node'], noUncheckedIndexedAccess: true } , host });
    assert.equal(ts.getPreEmitDiagnostics(program).length, 0);
    const bad = ts.createSourceFile('bad.ts', "import { app } from 'electron'; app.quitt();", ts.ScriptTarget.ES2022);
    const badHost: ts.CompilerHost = { ...host, getSourceFile: (f, l) => (f.endsWith('bad.ts') ? bad : host.getSourceFile(f, l)), fileExists: (f) => f.endsWith('bad.ts') || host.fileExists(f) };
    const badProgram = ts.createProgram({ rootNames: [path.join(root, 'bad.ts')], options: { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: ['node'] }, host: badHost });
    const messages = ts.getPreEmitDiagnostics(badProgram).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.ok(messages.some((m) => /quitt/.test(m)), messages.join('\n'));
  });
});
