// The add/edit form of an app read into an AppDefinitionInput, or errors per field
// (pure; unit-tested).
import type { AppDefinitionInput, AppShares } from '../../../electron/common/model.js';
import { maxShare } from './constraints.js';
import { formatValue, parseValue, RESOURCES, type Resource } from './units.js';

export type Errors = Partial<Record<'name' | 'command' | 'args' | 'cwd' | 'env' | Resource | 'form', string>>;

export interface EditorForm {
  name: string;
  command: string;
  args: string;
  cwd: string;
  env: string;
  autostart: boolean;
  shares: Record<Resource, string>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Read the form into an app definition, or the errors per field (pure; unit-tested). */
export function readForm(
  form: EditorForm,
  limits: { cap: (r: Resource) => number | null; entries: Parameters<typeof maxShare>[2]; selfId: string },
): { ok: true; input: AppDefinitionInput } | { ok: false; errors: Errors } {
  const errors: Errors = {};
  const command = form.command.trim();
  if (!command) errors.command = 'Type the program to run, such as transmission-daemon or /usr/bin/ipfs.';
  const name = form.name.trim() || (command ? command.split('/').pop()! : '');
  if (!name) errors.name = 'Give the app a name.';
  else if (name.length > 80) errors.name = 'At most 80 characters.';
  const args = form.args.split('\n').map((a) => a.replace(/\r$/, '')).filter((a) => a.trim() !== '');
  if (args.length > 256) errors.args = 'At most 256 arguments.';
  const env: Record<string, string> = {};
  form.env.split('\n').forEach((line, i) => {
    const text = line.trim();
    if (!text || text.startsWith('#')) return;
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq);
    if (eq < 0 || !ENV_NAME.test(key)) {
      errors.env ??= `Line ${i + 1}: write NAME=value, the name made of letters, digits and _ (not starting with a digit).`;
      return;
    }
    env[key] = text.slice(eq + 1);
  });
  const shares = {} as AppShares;
  for (const r of RESOURCES) {
    const text = form.shares[r].trim();
    if (!text) {
      shares[r] = 0;
      continue;
    }
    const parsed = parseValue(r, text, Infinity); // past the limit below, said as that limit
    if (!parsed.ok) {
      errors[r] = parsed.error;
      continue;
    }
    const max = maxShare(r, limits.cap(r), limits.entries, limits.selfId);
    if (parsed.value > max * (1 + 1e-9)) {
      const cap = limits.cap(r);
      errors[r] =
        cap === null
          ? `At most ${formatValue(r, max)}.`
          : `At most ${formatValue(r, max)}: the cap of ${formatValue(r, cap)} minus the other apps' shares.`;
      continue;
    }
    shares[r] = parsed.value;
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  const input: AppDefinitionInput = { name, command, args, env, autostart: form.autostart, shares };
  if (form.cwd.trim()) input.cwd = form.cwd.trim();
  return { ok: true, input };
}

