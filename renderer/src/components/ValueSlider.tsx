// A value of one resource set with a slider and a typed-in value with units.
// Keyboard-operable (native range input: arrows, PageUp/PageDown, Home/End), labelled
// for screen readers with the value in words. It can never be moved past [min, max]:
// the part of the track beyond is drawn as unavailable and the thumb stops at it.
// While the owner drags, values go to the engine live (one request in flight at a
// time, the latest wins); what is shown at rest always comes back from the engine.
import { useEffect, useId, useRef, useState, type CSSProperties, type InputHTMLAttributes } from 'react';
import { maxPosition, positionToValue, steps, valueToPosition } from '../lib/scale.js';
import { formatValue, parseValue, RESOURCE_UNITS, UNIT_EXAMPLES, type Resource } from '../lib/units.js';
import { errorMessage } from '../bridge/index.js';

export interface ValueSliderProps {
  resource: Resource;
  /** Accessible name, e.g. "CPU cap". */
  label: string;
  /** The engine's value; null = no cap; undefined = not known yet. */
  value: number | null | undefined;
  min?: number;
  max: number;
  /** Offer "No cap" (value null). */
  nullable?: boolean;
  /** Value used when "No cap" is switched off. */
  defaultValue?: number;
  /** Explains the limit, shown under the control when the owner runs into it. */
  limitHint?: string;
  /** Explains the upper end when it is not the usual one (e.g. "the link's capacity"). */
  maxHint?: string;
  /** Why a typed value below `min` is refused (default: the apps' shares add up to it). */
  minHint?: string;
  disabled?: boolean;
  /** Send a value to the engine; resolve once it accepted it. */
  onCommit: (value: number | null) => Promise<unknown>;
  testId?: string;
}

export function ValueSlider(props: ValueSliderProps) {
  const { resource, label, value, min = 0, max, nullable = false, disabled = false, onCommit, testId } = props;
  const id = useId();
  const [draft, setDraft] = useState<number | null | undefined>(undefined);
  const [text, setText] = useState<string | null>(null); // non-null while the owner types
  const [error, setError] = useState<string | null>(null);
  const [atLimit, setAtLimit] = useState<'low' | 'high' | false>(false);
  const sending = useRef(false);
  const queued = useRef<{ value: number | null } | null>(null);
  const dragging = useRef(false);
  /** Bumped by every action of the owner: an answer to an older request must not clear a newer message. */
  const actionSeq = useRef(0);
  /** Escape pressed: the blur that follows must not send what was typed. */
  const cancelled = useRef(false);
  const settleTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => () => {
    if (settleTimer.current) clearTimeout(settleTimer.current);
  }, []);

  const shown = draft !== undefined ? draft : value;
  const noCap = shown === null;
  const total = steps(resource);
  const position = shown === null || shown === undefined ? total : valueToPosition(resource, shown);
  const lowPos = min > 0 ? valueToPosition(resource, min) : 0;
  const highPos = Math.max(lowPos, maxPosition(resource, max));
  const pct = (p: number) => `${((p / total) * 100).toFixed(2)}%`;
  const trackStyle = {
    '--fill': noCap ? '100%' : pct(position),
    '--lo': pct(lowPos),
    '--hi': pct(highPos),
  } as CSSProperties;

  function send(next: number | null): void {
    if (sending.current) {
      queued.current = { value: next };
      return;
    }
    sending.current = true;
    const seq = actionSeq.current;
    onCommit(next).then(
      () => {
        if (seq === actionSeq.current) setError(null);
      },
      (err: unknown) => {
        if (seq === actionSeq.current) setError(errorMessage(err));
      },
    ).finally(() => {
      sending.current = false;
      const q = queued.current;
      queued.current = null;
      if (q) send(q.value);
      else if (!dragging.current) settle();
    });
  }

  /** Show the engine's value again once the last request is answered. */
  function settle(): void {
    if (settleTimer.current) clearTimeout(settleTimer.current);
    settleTimer.current = setTimeout(() => {
      if (!sending.current && !dragging.current) setDraft(undefined);
    }, 150);
  }

  function clamp(wanted: number): number {
    const clamped = Math.min(max, Math.max(min, wanted));
    setAtLimit(wanted > max ? 'high' : wanted < min ? 'low' : false);
    return clamped;
  }

  function onRange(pos: number): void {
    actionSeq.current++;
    const next = clamp(positionToValue(resource, pos));
    if (next === draft) return;
    setDraft(next);
    setText(null);
    send(next);
  }

  function endDrag(): void {
    dragging.current = false;
    if (!sending.current) settle();
  }

  /** `typed`: the field's own value, read from the DOM so a stale render cannot lose it. */
  function commitText(typed: string): void {
    if (cancelled.current) {
      cancelled.current = false;
      return;
    }
    if (typed.trim() === valueText) {
      setText(null); // unchanged: nothing to send
      return;
    }
    actionSeq.current++;
    const trimmed = typed.trim();
    if (nullable && /^(no\s*cap|none|off|∞|unlimited)?$/i.test(trimmed)) {
      setText(null);
      setDraft(null);
      send(null);
      return;
    }
    const parsed = parseValue(resource, trimmed, Infinity); // past `max`, said as that limit
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    if (parsed.value > max * (1 + 1e-9) || parsed.value < min * (1 - 1e-9)) {
      setError(
        parsed.value > max
          ? `At most ${formatValue(resource, max)}${(props.maxHint ?? props.limitHint) ? ` (${props.maxHint ?? props.limitHint})` : ''}.`
          : `At least ${formatValue(resource, min)}: ${props.minHint ?? "the apps' shares add up to that"}.`,
      );
      return;
    }
    setError(null);
    setText(null);
    setDraft(parsed.value);
    send(parsed.value);
  }

  const valueText = shown === undefined ? '' : shown === null ? 'no cap' : formatValue(resource, shown);
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const limitText = atLimit === 'high' && props.maxHint ? props.maxHint : props.limitHint;
  const showLimit = atLimit && !error && limitText;

  return (
    <div className={`value-slider${disabled ? ' is-disabled' : ''}`} data-testid={testId}>
      <div className="value-slider__row">
        <input
          type="range"
          className={`range${noCap ? ' range--nocap' : ''}`}
          style={trackStyle}
          min={0}
          max={total}
          step={1}
          value={position}
          disabled={disabled || shown === undefined}
          aria-label={label}
          aria-valuetext={valueText}
          aria-describedby={error ? errorId : showLimit ? hintId : undefined}
          onPointerDown={() => (dragging.current = true)}
          onPointerUp={endDrag}
          onPointerCancel={endDrag}
          onKeyUp={endDrag}
          onBlur={endDrag}
          onChange={(e) => onRange(Number(e.currentTarget.value))}
        />
        <TypedValueInput
          label={label}
          invalid={!!error}
          aria-describedby={error ? errorId : undefined}
          placeholder={UNIT_EXAMPLES[RESOURCE_UNITS[resource]]}
          disabled={disabled || shown === undefined}
          value={text ?? valueText}
          onFocus={(e) => {
            setText(valueText === 'no cap' ? '' : valueText);
            e.currentTarget.select();
          }}
          onChange={(e) => setText(e.currentTarget.value)}
          onBlur={(e) => commitText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              commitText(e.currentTarget.value);
            } else if (e.key === 'Escape') {
              cancelled.current = true;
              setText(null);
              setError(null);
              e.currentTarget.blur();
            }
          }}
        />
      </div>
      <div className="value-slider__foot">
        {nullable && (
          <label className="value-slider__nocap">
            <input
              type="checkbox"
              checked={noCap}
              disabled={disabled || shown === undefined}
              onChange={(e) => {
                actionSeq.current++;
                const next = e.currentTarget.checked ? null : clamp(props.defaultValue ?? max / 2);
                setDraft(next);
                setText(null);
                send(next);
              }}
            />
            No cap
          </label>
        )}
        <p className={`value-slider__msg${error ? ' is-error' : ''}`} id={error ? errorId : hintId} role={error ? 'alert' : undefined} aria-live="polite">
          {error ?? (showLimit ? `Stopped at ${formatValue(resource, atLimit === 'low' ? min : max)}: ${limitText}.` : '\u00a0')}
        </p>
      </div>
    </div>
  );
}

/** The text field of a value typed with units (caps, shares, capacities): one look and one accessible name. */
export function TypedValueInput({ label, invalid, ...rest }: { label: string; invalid: boolean } & Omit<InputHTMLAttributes<HTMLInputElement>, 'type'>) {
  return (
    <input
      type="text"
      className="value-slider__text"
      inputMode="decimal"
      spellCheck={false}
      autoComplete="off"
      aria-label={`${label}, typed value`}
      aria-invalid={invalid ? true : undefined}
      {...rest}
    />
  );
}
