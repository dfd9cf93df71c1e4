// Quoting of a command line for the two file formats that start Interceptor at login.

/** One argument of a systemd Exec= line (systemd.syntax, systemd.service: "$" and "%" are special). */
export function systemdQuote(arg: string): string {
  if (/[\0\n\r]/.test(arg)) throw new Error('a command-line argument with a NUL or a line break cannot go into a unit file');
  const escaped = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_/.:=,+@-]+$/.test(arg)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * One argument of a desktop entry's Exec key (Desktop Entry Specification, "The Exec
 * key"): reserved characters inside double quotes, `"` `` ` `` `$` `\` escaped there,
 * "%" doubled; then the string-level escaping of the file, which doubles backslashes.
 */
export function desktopExecQuote(arg: string): string {
  if (/[\0\n\r\t]/.test(arg)) throw new Error('a command-line argument with a control character cannot go into a desktop entry');
  const percent = arg.replace(/%/g, '%%');
  const inner = /^[A-Za-z0-9_/.:=,+@%-]+$/.test(arg) ? percent : `"${percent.replace(/(["`$\\])/g, '\\$1')}"`;
  return inner.replace(/\\/g, '\\\\');
}
