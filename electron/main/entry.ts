// The packaged app's entry (package.json "main"): with --interceptor-cli it is the
// `interceptor` command (the .deb's /usr/bin/interceptor runs it so), else the desktop shell.
export const CLI_FLAG = '--interceptor-cli';

const at = process.argv.indexOf(CLI_FLAG);
if (at >= 0) {
  const { main } = await import('../engine/cli/main.js');
  const code = await main(process.argv.slice(at + 1));
  process.stdout.write('', () => process.exit(code));
} else {
  await import('./main.js');
}
