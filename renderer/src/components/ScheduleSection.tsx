// Settings → Schedule: the week grid (7 days × 24 hours of the engine's local time), painted
// with a brush — click or drag a rectangle with the mouse; with the keyboard, arrows move,
// Shift+arrows stretch a rectangle, Space or Enter paints it — each stroke saved at once; the
// schedule on or off; and what is in force now, why, and what comes next.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { CommandArgs } from '../../../electron/common/contract.js';
import { DAY_LABELS, SCHEDULE_HOURS, SCHEDULE_SLOT_VALUES, SLOT_LABELS, localDayHour, type ScheduleSlot } from '../../../electron/common/schedule.js';
import { bridge, errorMessage } from '../bridge/index.js';
import { describeNext, describeNow, inRect, moveCell, paintRect, type Cell } from '../lib/scheduleGrid.js';
import { useStore } from '../store/index.js';
import '../styles/schedule.css';

const LETTERS: Record<ScheduleSlot, string> = { auto: '', inUse: 'U', idle: 'I', battery: 'B', paused: 'P' };
const BRUSH_HINTS: Record<ScheduleSlot, string> = {
  auto: 'your pick, else idle and power detection, decide',
  inUse: 'the "In use" caps',
  idle: 'the "Idle" caps',
  battery: 'the "On battery" caps',
  paused: 'every app paused',
};
const pad = (h: number) => String(h).padStart(2, '0');
const cellId = (c: Cell) => `schedule-cell-${c.day}-${c.hour}`;

function useMinuteClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function ScheduleSection() {
  const schedule = useStore((s) => s.schedule);
  const profile = useStore((s) => s.profile);
  const power = useStore((s) => s.power);
  const open = useStore((s) => s.connection.status === 'open');
  const [brush, setBrush] = useState<ScheduleSlot>('paused');
  const [focus, setFocus] = useState<Cell>({ day: 0, hour: 0 });
  const [selection, setSelection] = useState<{ anchor: Cell; to: Cell; mouse: boolean } | null>(null);
  /** What was sent and not yet answered, shown meanwhile. */
  const [pending, setPending] = useState<CommandArgs<'setSchedule'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const now = useMinuteClock();

  const send = (patch: CommandArgs<'setSchedule'>) => {
    setPending(patch);
    bridge()
      .setSchedule(patch)
      .then(() => setError(null), (err: unknown) => setError(errorMessage(err)))
      .finally(() => setPending(null));
  };
  const slots = pending?.slots ?? schedule?.slots ?? [];
  const enabled = pending?.enabled ?? schedule?.enabled ?? false;
  const paint = (a: Cell, b: Cell) => {
    const next = paintRect(slots, a, b, brush);
    if (next.some((s, i) => s !== slots[i])) send({ slots: next });
  };

  // a drag ends wherever the mouse is released
  useEffect(() => {
    if (!selection?.mouse) return;
    const up = () => {
      paint(selection.anchor, selection.to);
      setSelection(null);
    };
    window.addEventListener('mouseup', up);
    return () => window.removeEventListener('mouseup', up);
  });
  // the focused cell follows the keyboard
  useEffect(() => {
    if (gridRef.current?.contains(document.activeElement)) document.getElementById(cellId(focus))?.focus();
  }, [focus]);

  if (!schedule) return null;
  const disabled = !open;
  const here = localDayHour(now, schedule.timeZone);

  const onKeyDown = (e: KeyboardEvent) => {
    const moved = moveCell(focus, e.key);
    if (moved) {
      e.preventDefault();
      if (e.shiftKey) setSelection({ anchor: selection?.anchor ?? focus, to: moved, mouse: false });
      else setSelection(null);
      setFocus(moved);
    } else if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      if (!disabled) paint(selection?.anchor ?? focus, selection?.to ?? focus);
      setSelection(null);
    } else if (e.key === 'Escape') setSelection(null);
  };

  return (
    <section className="section card settings-card" aria-labelledby="settings-schedule" data-testid="schedule">
      <h2 id="settings-schedule">Schedule</h2>
      <label className="settings-choice">
        <input type="checkbox" checked={enabled} disabled={disabled} onChange={(e) => send({ enabled: e.target.checked })} data-testid="schedule-enabled" />
        <span>
          <strong>Follow the week schedule</strong>{' '}
          <span className="settings-row__hint">Hours are local time in {schedule.timeZone}. A profile you pick by hand holds until the schedule next changes.</span>
        </span>
      </label>
      <dl className="schedule-status">
        <dt>Now</dt>
        <dd data-testid="schedule-now" data-reason={schedule.reason}>
          {describeNow(schedule, profile, power)}
        </dd>
        <dt>Next</dt>
        <dd data-testid="schedule-next">{describeNext(schedule)}</dd>
      </dl>
      <fieldset className="schedule-brushes" disabled={disabled}>
        <legend>Paint with</legend>
        {SCHEDULE_SLOT_VALUES.map((s) => (
          <label key={s} className="schedule-brush" title={BRUSH_HINTS[s]}>
            <input type="radio" name="schedule-brush" value={s} aria-label={`Brush ${SLOT_LABELS[s]}`} checked={brush === s} onChange={() => setBrush(s)} />
            <span className={`schedule-swatch slot--${s}`} aria-hidden="true">
              {LETTERS[s]}
            </span>
            {SLOT_LABELS[s]}
          </label>
        ))}
        <button type="button" className="btn btn--small" onClick={() => send({ slots: slots.map(() => 'auto' as const) })} data-testid="schedule-clear">
          Clear
        </button>
      </fieldset>
      <div
        ref={gridRef}
        className={`schedule-grid${enabled ? '' : ' is-off'}`}
        role="grid"
        aria-label="Week schedule: arrows move, Shift+arrows select hours, Space or Enter paints them with the brush"
        aria-rowcount={8}
        aria-colcount={25}
        aria-disabled={disabled}
        onKeyDown={onKeyDown}
        data-testid="schedule-grid"
      >
        <div role="row" className="schedule-row">
          <span role="columnheader" className="schedule-corner" />
          {Array.from({ length: SCHEDULE_HOURS }, (_, h) => (
            <span role="columnheader" key={h} className="schedule-hour" aria-label={`${pad(h)}:00`}>
              {h % 3 === 0 ? pad(h) : ''}
            </span>
          ))}
        </div>
        {DAY_LABELS.map((label, day) => (
          <div role="row" key={label} className="schedule-row">
            <span role="rowheader" className="schedule-day">
              {label.slice(0, 3)}
            </span>
            {Array.from({ length: SCHEDULE_HOURS }, (_, hour) => {
              const cell = { day, hour };
              const slot = slots[day * SCHEDULE_HOURS + hour] ?? 'auto';
              const selected = selection !== null && inRect(cell, selection.anchor, selection.to);
              const current = day === here.day && hour === here.hour;
              return (
                <div
                  key={hour}
                  id={cellId(cell)}
                  role="gridcell"
                  tabIndex={focus.day === day && focus.hour === hour ? 0 : -1}
                  aria-selected={selected}
                  aria-current={current ? 'time' : undefined}
                  aria-label={`${label} ${pad(hour)}:00–${pad(hour + 1)}:00: ${SLOT_LABELS[slot]}`}
                  className={`schedule-cell slot--${slot}${selected ? ' is-selected' : ''}${current ? ' is-now' : ''}`}
                  data-slot={slot}
                  onMouseDown={(e) => {
                    if (disabled || e.button !== 0) return;
                    e.preventDefault();
                    setFocus(cell);
                    setSelection({ anchor: cell, to: cell, mouse: true });
                    (e.currentTarget as HTMLElement).focus();
                  }}
                  onMouseEnter={() => selection?.mouse && setSelection({ ...selection, to: cell })}
                  onFocus={() => setFocus(cell)}
                >
                  {LETTERS[slot]}
                </div>
              );
            })}
          </div>
        ))}
      </div>
      {error && (
        <p className="settings-row__error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
