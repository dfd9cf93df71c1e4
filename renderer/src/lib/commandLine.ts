// A whole command line pasted into the Command field (`python3 -c "print(1)"`), read as
// a POSIX shell would split it into words, so the form can offer to put the program in
// Command and the rest in Arguments (apps run without a shell). Pure; unit-tested.

export type SplitResult =
  | { ok: true; words: string[]; shellSyntax: string | null }
  | { ok: false; error: string };

/** Characters that mean something to a shell outside quotes: a pipe, a redirection, a variable… */
const SHELL_SYNTAX = /[|&;<>()$`*?]/;

/**
 * Split like `sh` does for plain words: blanks separate, '…' is literal, "…" keeps blanks
 * and honours \" \\ \$ \` and a backslash-newline, a backslash outside quotes escapes
 * the next character. `shellSyntax` names the first character that needs a shell to mean
 * anything (pipes, redirections, variables, globs), or null.
 */
export function splitCommandLine(line: string): SplitResult {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let shellSyntax: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { ok: false, error: 'A single quote (\') is not closed.' };
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`\n'.includes(line[j + 1]!)) {
          if (line[j + 1] !== '\n') word += line[j + 1];
          j++;
        } else {
          if ((line[j] === '$' || line[j] === '`') && shellSyntax === null) shellSyntax = line[j]!;
          word += line[j];
        }
      }
      if (j >= line.length) return { ok: false, error: 'A double quote (") is not closed.' };
      inWord = true;
      i = j;
    } else if (ch === '\\') {
      if (i + 1 < line.length && line[i + 1] !== '\n') {
        word += line[i + 1];
        inWord = true;
      }
      i++;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      if (shellSyntax === null && SHELL_SYNTAX.test(ch)) shellSyntax = ch;
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { ok: true, words, shellSyntax };
}

/** What the form may do with a pasted command line. */
export type CommandLineOffer =
  | { kind: 'split'; command: string; args: string[]; env: string[] }
  | { kind: 'shell'; command: 'sh'; args: ['-c', string]; syntax: string }
  | { kind: 'cannot'; reason: string };

const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The offer for what was typed in Command, or null when it is one plain word (a program
 * name or path). Leading NAME=value words go to the environment, as a shell would do; a
 * line that needs a shell is offered as `sh -c "<line>"`.
 */
export function commandLineOffer(typed: string): CommandLineOffer | null {
  const line = typed.trim();
  if (!line) return null;
  const split = splitCommandLine(line);
  if (!split.ok) return { kind: 'cannot', reason: split.error };
  if (split.shellSyntax !== null) return { kind: 'shell', command: 'sh', args: ['-c', line], syntax: split.shellSyntax };
  if (split.words.length === 1 && split.words[0] === line) return null;
  const env: string[] = [];
  let rest = split.words;
  while (rest.length > 1 && ENV_ASSIGNMENT.test(rest[0]!)) {
    env.push(rest[0]!);
    rest = rest.slice(1);
  }
  const [command, ...args] = rest;
  if (!command) return { kind: 'cannot', reason: 'There is no program in it.' };
  if ([...args, ...env].some((a) => a.includes('\n'))) return { kind: 'cannot', reason: 'An argument spans several lines, but Arguments takes one per line: put it in a script.' };
  return { kind: 'split', command, args, env };
}
