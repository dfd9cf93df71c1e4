// What the remote commands print: status, the apps table, caps and the profile.
import type { AppView, Capacities, FullState, OwnerLimits, ProfileChoice, ResourceFigures, Snapshot } from '../../common/model.js';
import { formatInstant, slotWord } from '../../common/schedule-text.js';
import { RESOURCES, RESOURCE_LABELS, formatBytes, formatFraction, formatRate, formatResourceValue, type Resource } from '../../common/resources.js';

export const PROFILE_WORDS: Record<ProfileChoice, string> = { auto: 'automatic', inUse: 'in use', idle: 'idle', battery: 'on battery' };

export function formatProfile(state: FullState): string {
  const how =
    state.profileChoice !== 'auto'
      ? `chosen by hand${state.schedule?.pickUntil ? `, until the week schedule's next change at ${formatInstant(state.schedule.pickUntil, state.schedule.timeZone)}` : ''}`
      : state.schedule?.reason === 'schedule' ? 'forced by the week schedule' : state.power ? 'chosen automatically' : 'automatic, but nothing detects idle or power here';
  return `Profile: ${PROFILE_WORDS[state.profile]} (${how})`;
}

export function formatPower(state: FullState): string | null {
  const p = state.power;
  if (!p) return null;
  const battery = p.onBattery === null ? 'power unknown' : p.onBattery ? 'on battery' : 'on mains';
  const idle = p.idleSeconds === null ? 'idle time unknown' : `idle ${Math.round(p.idleSeconds)} s (threshold ${state.settings.idleThresholdSeconds} s)`;
  const locked = p.locked ? ', screen locked' : '';
  return `Power: ${battery}, ${idle}${locked}${p.sources.length ? ` — from ${p.sources.join(', ')}` : ''}`;
}

export function formatStatus(state: FullState, snap: Snapshot | null): string {
  const lines: string[] = [];
  lines.push(`Interceptor ${state.version} — profile ${state.profile}${state.platform.enforcement ? '' : ` — ENFORCEMENT UNAVAILABLE: ${state.platform.reason}`}`);
  lines.push(formatProfile(state));
  const power = formatPower(state);
  if (power) lines.push(power);
  const sched = state.schedule;
  if (sched?.enabled) lines.push(`Schedule: on${sched.paused ? ', all apps paused by it now' : ''}; next change ${sched.next ? `${formatInstant(sched.next.at, sched.timeZone)} -> ${slotWord(sched.next.slot)}` : 'none'}`);
  if (state.pause) lines.push(`All apps paused ${state.pause.until === null ? 'until resumed' : `until ${new Date(state.pause.until).toLocaleString()}`}`);
  lines.push(`Caps: ${formatLimits(state.profiles[state.profile])}`);
  lines.push(`Capacity: ${formatCapacities(state.capacity)}`);
  if (state.apps.length === 0) lines.push('No apps.');
  for (const app of state.apps) {
    const s = snap?.apps.find((a) => a.id === app.definition.id);
    const exit = app.exitCode !== null ? ` (exit ${app.exitCode})` : app.exitSignal ? ` (${app.exitSignal})` : '';
    lines.push(`  ${app.definition.id.padEnd(20)} ${app.state.padEnd(8)}${exit}${app.pid ? ` pid ${app.pid}` : ''}`);
    if (s && ['running', 'waiting', 'held', 'paused'].includes(app.state)) lines.push(`    ${formatFigures(s.resources)}`);
  }
  if (snap) lines.push(`Total: ${formatFigures(snap.total)}`);
  return lines.join('\n') + '\n';
}

export function formatLimits(limits: OwnerLimits): string {
  return RESOURCES.map((r) => `${RESOURCE_LABELS[r]} ${formatResourceValue(r, limits[r])}`).join(', ');
}

function formatCapacities(c: Capacities): string {
  return (['netUp', 'netDown', 'disk'] as const)
    .map((r) => {
      const x = c[r];
      if (x.bytesPerSec === null) return `${RESOURCE_LABELS[r]} unknown`;
      return `${RESOURCE_LABELS[r]} ${formatRate(x.bytesPerSec)} (${x.source === 'owner' ? 'owner' : (x.method ?? 'measured')})`;
    })
    .join(', ');
}

function formatFigures(f: ResourceFigures): string {
  const fmt = (r: Resource, v: number) => (r === 'cpu' ? formatFraction(v) : r === 'mem' ? formatBytes(v) : formatRate(v));
  return RESOURCES.map((r) => `${r} ${fmt(r, f[r].recent)}${f[r].held > 0 && r !== 'cpu' && r !== 'mem' ? ` (${formatBytes(f[r].held)} held)` : ''}`).join('  ');
}

/** One line per app, columns like `transmission-remote -l`: id, state, pid, nominal shares, name. */
export function formatAppsTable(apps: AppView[]): string {
  if (apps.length === 0) return 'No apps. Add one with `interceptor apps add -- CMD [ARGS...]`.\n';
  const rows = [['ID', 'STATE', 'PID', 'CPU', 'UP', 'DOWN', 'DISK', 'MEM', 'NAME']];
  for (const a of apps) {
    const s = a.definition.shares;
    rows.push([a.definition.id, a.state, a.pid ? String(a.pid) : '-', formatFraction(s.cpu), formatRate(s.netUp), formatRate(s.netDown), formatRate(s.disk), formatBytes(s.mem), a.definition.name]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
