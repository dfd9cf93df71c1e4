// Add or edit an app: command, arguments, working directory, environment, autostart
// and shares. Checks the executable with the engine as soon as the command is typed,
// and every value before sending; the engine's own refusals are shown as they come.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { bridge, errorCode, errorMessage } from '../bridge/index.js';
import { appStore, useStore } from '../store/index.js';
import { selectShareEntries } from '../store/selectors.js';
import { maxShare, strictestCap } from '../lib/constraints.js';
import { readForm, type EditorForm, type Errors } from '../lib/appForm.js';
import { commandLineOffer, type CommandLineOffer } from '../lib/commandLine.js';
import { formatValue, RESOURCE_LABELS, RESOURCE_UNITS, RESOURCES, UNIT_EXAMPLES, type Resource } from '../lib/units.js';

function emptyForm(): EditorForm {
  return { name: '', command: '', args: '', cwd: '', env: '', autostart: true, shares: { cpu: '', netUp: '', netDown: '', disk: '', mem: '' } };
}

function formFor(id: string): EditorForm {
  const view = appStore.getState().apps[id];
  if (!view) return emptyForm();
  const d = view.definition;
  const shares = {} as Record<Resource, string>;
  for (const r of RESOURCES) shares[r] = d.shares[r] ? formatValue(r, d.shares[r]).replace(/\s+/g, '') : '';
  return {
    name: d.name,
    command: d.command,
    args: d.args.join('\n'),
    cwd: d.cwd ?? '',
    env: Object.entries(d.env).map(([k, v]) => `${k}=${v}`).join('\n'),
    autostart: d.autostart,
    shares,
  };
}

function Field(props: { label: string; error?: string | undefined; hint?: string; after?: ReactNode; children: (id: string, describedBy: string | undefined) => ReactNode }) {
  const id = useId();
  const msgId = `${id}-msg`;
  return (
    <div className={`field${props.error ? ' has-error' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children(id, props.error || props.hint ? msgId : undefined)}
      <p className={`field__msg${props.error ? ' is-error' : ''}`} id={msgId}>
        {props.error ?? props.hint ?? '\u00a0'}
      </p>
      {props.after}
    </div>
  );
}

/** The offer under Command when a whole command line was pasted there. */
function CommandLineOfferView({ offer, onAccept }: { offer: CommandLineOffer; onAccept: (o: Extract<CommandLineOffer, { command: string }>) => void }) {
  if (offer.kind === 'cannot') {
    return (
      <p className="command-offer" role="status" data-testid="command-offer">
        This looks like a command line, but it cannot be split: {offer.reason}
      </p>
    );
  }
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const text =
    offer.kind === 'shell'
      ? `This line needs a shell (it uses ${offer.syntax}), and apps run without one.`
      : `This is a whole command line: the program ${offer.command} with ${count(offer.args.length, 'argument')}${offer.env.length ? ` and ${count(offer.env.length, 'environment variable')}` : ''}.`;
  return (
    <div className="command-offer" role="status" data-testid="command-offer">
      <span>{text}</span>
      <button type="button" className="btn btn--small" onClick={() => onAccept(offer)} data-testid="command-offer-accept">
        {offer.kind === 'shell' ? 'Run it with sh -c' : 'Split into program and arguments'}
      </button>
    </div>
  );
}

export function AppEditor() {
  const editor = useStore((s) => s.editor);
  const openEditor = useStore((s) => s.openEditor);
  const entries = useStore(selectShareEntries);
  const profiles = useStore((s) => s.profiles);
  const dialog = useRef<HTMLDialogElement>(null);
  const [form, setForm] = useState<EditorForm>(emptyForm);
  const [errors, setErrors] = useState<Errors>({});
  const [resolved, setResolved] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [startNow, setStartNow] = useState(true);
  const selfId = editor?.mode === 'edit' ? editor.id : '\u0000new';

  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (editor) {
      setForm(editor.mode === 'edit' ? formFor(editor.id) : emptyForm());
      setErrors({});
      setResolved(null);
      setStartNow(true);
      if (!el.open) el.showModal();
    } else if (el.open) {
      el.close();
    }
  }, [editor]);

  const cap = (r: Resource) => (profiles ? strictestCap(r, profiles) : null);
  const set = <K extends keyof EditorForm>(key: K, value: EditorForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  const offer = resolved ? null : commandLineOffer(form.command);
  const commandInput = useRef<HTMLInputElement>(null);
  /** Only the latest check may write its answer (a split re-checks while the blur's check is out). */
  const checkSeq = useRef(0);

  /** `typed`: the Command field's text (the form's, unless a split just replaced it). */
  async function checkCommand(typed = form.command): Promise<boolean> {
    const command = typed.trim();
    if (!command) return false;
    const seq = ++checkSeq.current;
    try {
      const result = await bridge().checkExecutable(command, form.cwd.trim() || undefined);
      if (seq !== checkSeq.current) return result.ok;
      if (!result.ok) {
        setResolved(null);
        const pasted = commandLineOffer(command);
        const message =
          pasted && pasted.kind !== 'cannot'
            ? 'This is a whole command line, not a program: split it as offered below, or type only the program.'
            : (result.error ?? `No executable "${command}" found.`);
        // A bad working directory is the directory's fault, not the command's.
        if (/^working directory/.test(message)) setErrors((e) => ({ ...e, cwd: message, command: undefined }));
        else setErrors((e) => ({ ...e, command: message, cwd: undefined }));
        return false;
      }
      setResolved(result.resolved);
      setErrors((e) => ({ ...e, command: undefined, cwd: undefined }));
      return true;
    } catch (err) {
      setErrors((e) => ({ ...e, command: errorMessage(err) }));
      return false;
    }
  }

  /** Program to Command, the rest to Arguments (before any already there), NAME=value to Environment. */
  function acceptOffer(o: Extract<CommandLineOffer, { command: string }>): void {
    const prepend = (lines: readonly string[], text: string) => [...lines, ...(text.trim() ? [text] : [])].join('\n');
    setForm((f) => ({ ...f, command: o.command, args: prepend(o.args, f.args), env: prepend(o.kind === 'split' ? o.env : [], f.env) }));
    setErrors((e) => ({ ...e, command: undefined }));
    commandInput.current?.focus();
    void checkCommand(o.command);
  }

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!editor || saving) return;
    const read = readForm(form, { cap, entries, selfId });
    setSaving(true);
    try {
      const commandOk = await checkCommand();
      if (!read.ok) {
        setErrors((e) => ({ ...read.errors, command: read.errors.command ?? e.command, cwd: read.errors.cwd ?? e.cwd }));
        return;
      }
      if (!commandOk) return;
      if (editor.mode === 'add') {
        const view = await bridge().addApp(read.input);
        appStore.getState().selectApp(view.definition.id);
        if (startNow && !['running', 'waiting', 'held', 'starting'].includes(view.state)) await bridge().startApp(view.definition.id);
      } else {
        const patch = { ...read.input };
        // An emptied working directory is sent as "" (none); one never set stays absent.
        if (!patch.cwd && appStore.getState().apps[editor.id]?.definition.cwd) patch.cwd = '';
        await bridge().updateApp(editor.id, patch);
      }
      openEditor(null);
    } catch (err) {
      const message = errorMessage(err);
      const code = errorCode(err);
      setErrors(code === 'sharesExceedCap' ? { form: `${message} Lower a share or raise the cap first.` } : { form: message });
    } finally {
      setSaving(false);
    }
  }

  const title = editor?.mode === 'edit' ? 'Edit app' : 'Add an app';
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="editor-title" onClose={() => openEditor(null)} data-testid="app-editor">
      {editor && (
        <form className="editor" onSubmit={submit} noValidate>
          <header className="dialog__head">
            <h2 id="editor-title">{title}</h2>
          </header>
          <div className="dialog__body">
            {errors.form && (
              <p className="form-error" role="alert" data-testid="form-error">
                {errors.form}
              </p>
            )}
            <div className="editor__grid">
              <Field
                label="Command"
                error={errors.command}
                hint={resolved ? `Found: ${resolved}` : 'The program, by name or path. A whole command line pasted here can be split into program and arguments.'}
                after={offer && <CommandLineOfferView offer={offer} onAccept={acceptOffer} />}
              >
                {(id, d) => (
                  <input
                    ref={commandInput}
                    id={id}
                    name="command"
                    aria-describedby={d}
                    aria-invalid={errors.command ? true : undefined}
                    value={form.command}
                    spellCheck={false}
                    autoComplete="off"
                    placeholder="transmission-daemon"
                    onChange={(e) => {
                      set('command', e.currentTarget.value);
                      setResolved(null);
                    }}
                    // a pasted command line is explained by its offer: no "not found" under it
                    onBlur={() => {
                      if (!offer || offer.kind === 'cannot') void checkCommand();
                    }}
                    autoFocus
                  />
                )}
              </Field>
              <Field label="Name" error={errors.name} hint="Shown in the dashboard; defaults to the command.">
                {(id, d) => (
                  <input id={id} name="name" aria-describedby={d} aria-invalid={errors.name ? true : undefined} value={form.name} maxLength={80} onChange={(e) => set('name', e.currentTarget.value)} />
                )}
              </Field>
              <Field label="Arguments" error={errors.args} hint="One per line, passed as they are (no shell).">
                {(id, d) => (
                  <textarea id={id} name="args" rows={3} spellCheck={false} aria-describedby={d} value={form.args} onChange={(e) => set('args', e.currentTarget.value)} />
                )}
              </Field>
              <Field label="Environment" error={errors.env} hint="NAME=value, one per line, added to Interceptor's environment.">
                {(id, d) => (
                  <textarea
                    id={id}
                    name="env"
                    rows={3}
                    spellCheck={false}
                    aria-describedby={d}
                    aria-invalid={errors.env ? true : undefined}
                    value={form.env}
                    onChange={(e) => set('env', e.currentTarget.value)}
                  />
                )}
              </Field>
              <Field label="Working directory" error={errors.cwd} hint="Optional; the app's own directory if empty.">
                {(id, d) => <input id={id} name="cwd" aria-describedby={d} spellCheck={false} value={form.cwd} placeholder="/home/me/torrents" onChange={(e) => set('cwd', e.currentTarget.value)} />}
              </Field>
              <div className="field field--check">
                <label>
                  <input type="checkbox" name="autostart" checked={form.autostart} onChange={(e) => set('autostart', e.currentTarget.checked)} />
                  Start with Interceptor
                </label>
                {editor.mode === 'add' && (
                  <label>
                    <input type="checkbox" name="startNow" checked={startNow} onChange={(e) => setStartNow(e.currentTarget.checked)} />
                    Start it now
                  </label>
                )}
              </div>
            </div>
            <fieldset className="editor__shares">
              <legend>Nominal shares</legend>
              <p className="muted small">What the app is guaranteed of each resource; empty means 0 (it only gets what others leave).</p>
              <div className="editor__share-grid">
                {RESOURCES.map((r) => {
                  const max = maxShare(r, cap(r), entries, selfId);
                  return (
                    <Field key={r} label={RESOURCE_LABELS[r]} error={errors[r]} hint={`up to ${formatValue(r, max)}`}>
                      {(id, d) => (
                        <input
                          id={id}
                          name={`share-${r}`}
                          inputMode="decimal"
                          spellCheck={false}
                          aria-describedby={d}
                          aria-invalid={errors[r] ? true : undefined}
                          placeholder={UNIT_EXAMPLES[RESOURCE_UNITS[r]]}
                          value={form.shares[r]}
                          onChange={(e) => {
                            const value = e.currentTarget.value;
                            setForm((f) => ({ ...f, shares: { ...f.shares, [r]: value } }));
                          }}
                        />
                      )}
                    </Field>
                  );
                })}
              </div>
            </fieldset>
          </div>
          <footer className="dialog__foot">
            <button type="button" className="btn" onClick={() => openEditor(null)}>
              Cancel
            </button>
            <button type="submit" className="btn btn--primary" disabled={saving} data-testid="editor-save">
              {saving ? 'Saving…' : editor.mode === 'edit' ? 'Save' : 'Add app'}
            </button>
          </footer>
        </form>
      )}
    </dialog>
  );
}
