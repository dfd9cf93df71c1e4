// Settings: what used to live only in settings.json. The profile (automatic or picked
// by hand, and what the automatic choice sees), start at login, quit and engine-loss
// behaviour, the idle threshold, the policy per resource, and how the CPU cap is
// enforced (the setting, and the mechanism in force with why).
import { useState, type ReactNode } from 'react';
import type { EngineSettings, ProfileChoice } from '../../../electron/common/model.js';
import { bridge, errorMessage } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import { describePower, idleThresholdText, parseIdleThreshold } from '../lib/settings.js';
import { ScheduleSection } from './ScheduleSection.js';
import '../styles/settings.css';
import { QuotasSection } from './QuotasSection.js';

const CHOICES: Array<{ id: ProfileChoice; label: string; hint: string }> = [
  { id: 'auto', label: 'Automatic', hint: 'The week schedule\'s profile where it sets one; else on battery → "On battery"; idle or locked → "Idle"; else "In use".' },
  { id: 'inUse', label: 'In use', hint: 'Always the "In use" caps, until you choose again (with the week schedule on: until it next changes).' },
  { id: 'idle', label: 'Idle', hint: 'Always the "Idle" caps, until you choose again (with the week schedule on: until it next changes).' },
  { id: 'battery', label: 'On battery', hint: 'Always the "On battery" caps, until you choose again (with the week schedule on: until it next changes).' },
];

/** Runs a command, keeps the control disabled meanwhile, and shows its error next to it. */
function useCommand(): { busy: boolean; error: string | null; run: (action: () => Promise<void>) => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    action()
      .then(() => setError(null), (err: unknown) => setError(errorMessage(err)))
      .finally(() => setBusy(false));
  };
  return { busy, error, run };
}

function Row(props: { label: string; htmlFor?: string; hint?: ReactNode; error?: string | null; children: ReactNode; testId: string }) {
  return (
    <div className="settings-row" data-testid={props.testId}>
      <div className="settings-row__text">
        {props.htmlFor ? <label htmlFor={props.htmlFor}>{props.label}</label> : <span className="settings-row__label">{props.label}</span>}
        {props.hint && <p className="settings-row__hint">{props.hint}</p>}
        {props.error && (
          <p className="settings-row__error" role="alert">
            {props.error}
          </p>
        )}
      </div>
      <div className="settings-row__control">{props.children}</div>
    </div>
  );
}

function SettingSelect<K extends 'onQuit' | 'onEngineLoss' | 'cpuMechanism'>(props: { name: K; label: string; hint: ReactNode; options: Array<[EngineSettings[K], string]> }) {
  const value = useStore((s) => s.settings?.[props.name]);
  const open = useStore((s) => s.connection.status === 'open');
  const cmd = useCommand();
  const id = `setting-${props.name}`;
  return (
    <Row label={props.label} htmlFor={id} hint={props.hint} error={cmd.error} testId={id}>
      <select id={id} value={value ?? ''} disabled={!open || cmd.busy || value === undefined} onChange={(e) => cmd.run(() => bridge().updateSettings({ [props.name]: e.target.value }))}>
        {props.options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </Row>
  );
}

function ProfileSection() {
  const choice = useStore((s) => s.profileChoice);
  const power = useStore((s) => s.power);
  const threshold = useStore((s) => s.settings?.idleThresholdSeconds ?? 300);
  const open = useStore((s) => s.connection.status === 'open');
  const cmd = useCommand();
  return (
    <section className="section card settings-card" aria-labelledby="settings-profile">
      <h2 id="settings-profile">Profile</h2>
      <fieldset className="settings-choices" disabled={!open || cmd.busy} data-testid="profile-choice">
        <legend>Which caps are in force</legend>
        {CHOICES.map((c) => (
          <label key={c.id} className="settings-choice">
            <input type="radio" name="profile-choice" value={c.id} checked={choice === c.id} onChange={() => cmd.run(() => bridge().setProfile(c.id))} />
            <span>
              <strong>{c.label}</strong> <span className="settings-row__hint">{c.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {cmd.error && (
        <p className="settings-row__error" role="alert">
          {cmd.error}
        </p>
      )}
      <p className="settings-row__hint" data-testid="power-state">
        {describePower(power, threshold)}
      </p>
    </section>
  );
}

function IdleThreshold() {
  const seconds = useStore((s) => s.settings?.idleThresholdSeconds);
  const open = useStore((s) => s.connection.status === 'open');
  const [draft, setDraft] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<string | null>(null);
  const cmd = useCommand();
  const shown = draft ?? (seconds === undefined ? '' : idleThresholdText(seconds));
  const commit = () => {
    if (draft === null) return;
    const parsed = parseIdleThreshold(draft);
    if (!parsed.ok) return setInvalid(parsed.error);
    setInvalid(null);
    cmd.run(async () => {
      await bridge().updateSettings({ idleThresholdSeconds: parsed.seconds });
      setDraft(null);
    });
  };
  return (
    <Row label="Idle after" htmlFor="setting-idle" hint="No input for this long (or a locked screen) counts as idle: 30 s to 24 h, e.g. 5 min." error={invalid ?? cmd.error} testId="setting-idle">
      <input
        id="setting-idle"
        type="text"
        inputMode="text"
        value={shown}
        aria-invalid={invalid !== null}
        disabled={!open || cmd.busy || seconds === undefined}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') {
            setDraft(null);
            setInvalid(null);
          }
        }}
      />
    </Row>
  );
}

function StartAtLoginRow() {
  const item = useStore((s) => s.startAtLogin);
  const open = useStore((s) => s.connection.status === 'open');
  const cmd = useCommand();
  const hint = item ? `${item.how}${item.problem ? ` — ${item.problem}` : ''}` : 'Not available here.';
  return (
    <Row label="Start Interceptor at login" hint={hint} error={cmd.error} testId="setting-start-at-login">
      <input type="checkbox" aria-label="Start Interceptor at login" checked={item?.enabled ?? false} disabled={!open || cmd.busy || !item} onChange={(e) => cmd.run(() => bridge().setStartAtLogin(e.target.checked))} />
    </Row>
  );
}

function Policies() {
  const policies = useStore((s) => s.settings?.policies);
  const open = useStore((s) => s.connection.status === 'open');
  const cmd = useCommand();
  const names = { cpu: 'CPU', net: 'Network', disk: 'Disk' } as const;
  return (
    <Row label="Scheduling policy" hint="PNS (the paper's proportional share, catches up after a block) or stride. Applies when no app is running." error={cmd.error} testId="setting-policies">
      {(Object.keys(names) as Array<keyof typeof names>).map((r) => (
        <label key={r} className="settings-inline">
          {names[r]}{' '}
          <select value={policies?.[r] ?? 'pns'} disabled={!open || cmd.busy || !policies} onChange={(e) => cmd.run(() => bridge().updateSettings({ policies: { ...policies!, [r]: e.target.value as 'pns' | 'stride' } }))} data-testid={`policy-${r}`}>
            <option value="pns">PNS</option>
            <option value="stride">Stride</option>
          </select>
        </label>
      ))}
    </Row>
  );
}

function CpuMechanism() {
  const cpu = useStore((s) => s.platform?.cpu);
  return (
    <>
      <SettingSelect
        name="cpuMechanism"
        label="CPU enforcement"
        hint="Automatic uses the kernel's CPU bandwidth control (a cgroup per app) where the system allows it, else stops the apps in slices (ptrace)."
        options={[
          ['auto', 'Automatic'],
          ['cgroup', 'Kernel (cgroup)'],
          ['ptrace', 'Stops in slices (ptrace)'],
        ]}
      />
      <p className="settings-row__hint settings-mechanism" data-testid="cpu-mechanism">
        {cpu ? (
          <>
            In force: <strong>{cpu.mechanism === 'cgroup' ? 'kernel (cgroup)' : 'stops in slices (ptrace)'}</strong> — {cpu.detail}
            {cpu.unavailable ? `. Kernel control not in use: ${cpu.unavailable}.` : '.'}
          </>
        ) : (
          'Waiting for the engine…'
        )}
      </p>
    </>
  );
}

export function SettingsView() {
  const loaded = useStore((s) => s.loaded);
  if (!loaded) return null;
  return (
    <div className="settings" data-testid="settings">
      <ProfileSection />
      <ScheduleSection />
      <section className="section card settings-card" aria-labelledby="settings-behaviour">
        <h2 id="settings-behaviour">Behaviour</h2>
        <StartAtLoginRow />
        <SettingSelect
          name="onQuit"
          label="When Interceptor quits"
          hint="Stop the apps, or leave them running without caps."
          options={[
            ['stop', 'Stop the apps'],
            ['leaveRunning', 'Leave them running, uncapped'],
          ]}
        />
        <SettingSelect
          name="onEngineLoss"
          label="If Interceptor stops unexpectedly"
          hint="What each app's helper does when the engine is gone (a crash, a kill)."
          options={[
            ['terminate', 'Stop the app'],
            ['continue', 'Let it run, uncapped'],
          ]}
        />
        <IdleThreshold />
      </section>
      <section className="section card settings-card" aria-labelledby="settings-scheduling">
        <h2 id="settings-scheduling">Scheduling</h2>
        <Policies />
        <CpuMechanism />
      </section>
      <QuotasSection />
    </div>
  );
}
