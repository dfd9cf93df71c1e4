// Minimal SVG line charts (no dependencies) and PNG conversion with ImageMagick's
// `convert` (or chromium headless as a fallback). Says clearly when neither exists.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

export interface Series {
  label: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  yMin?: number;
  yMax?: number;
  logY?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function ticks(min: number, max: number, n = 5): number[] {
  const span = max - min || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  // multiples of step, not a running sum: 0 must come out as 0, not −2.8e-17
  for (let k = Math.ceil(min / step); k * step <= max + 1e-12; k++) out.push(k === 0 ? 0 : Number((k * step).toPrecision(10)));
  return out;
}

function panelSvg(p: Panel, x0: number, y0: number, w: number, h: number): string {
  const m = { l: 64, r: 12, t: 28, b: 44 };
  const pts = p.series.flatMap((s) => s.points);
  const xs = pts.map((q) => q[0]);
  const tf = (v: number) => (p.logY ? Math.log10(Math.max(v, 1e-9)) : v);
  const ys = pts.map((q) => tf(q[1]));
  const xmin = Math.min(...xs, 0);
  const xmax = Math.max(...xs, 1);
  let ymin = p.yMin !== undefined ? tf(p.yMin) : Math.min(...ys);
  let ymax = p.yMax !== undefined ? tf(p.yMax) : Math.max(...ys);
  if (ymin === ymax) {
    ymin -= 1;
    ymax += 1;
  }
  const pad = (ymax - ymin) * 0.05;
  if (p.yMin === undefined) ymin -= pad;
  if (p.yMax === undefined) ymax += pad;
  const X = (v: number) => x0 + m.l + ((v - xmin) / (xmax - xmin)) * (w - m.l - m.r);
  const Y = (v: number) => y0 + h - m.b - ((tf(v) - ymin) / (ymax - ymin)) * (h - m.t - m.b);
  const Yraw = (v: number) => y0 + h - m.b - ((v - ymin) / (ymax - ymin)) * (h - m.t - m.b);
  let s = `<text x="${x0 + w / 2}" y="${y0 + 18}" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`;
  s += `<rect x="${x0 + m.l}" y="${y0 + m.t}" width="${w - m.l - m.r}" height="${h - m.t - m.b}" fill="none" stroke="#888"/>`;
  for (const t of ticks(xmin, xmax)) {
    s += `<line x1="${X(t)}" x2="${X(t)}" y1="${y0 + h - m.b}" y2="${y0 + h - m.b + 4}" stroke="#444"/>`;
    s += `<text x="${X(t)}" y="${y0 + h - m.b + 16}" text-anchor="middle" font-size="11">${t}</text>`;
  }
  // Log scale: ticks at 1, 2, 5 × 10^k inside the range (values kept in log10 space).
  const yt = p.logY
    ? [-3, -2, -1, 0, 1, 2, 3, 4, 5].flatMap((k) => [1, 2, 5].map((m) => Math.log10(m * 10 ** k))).filter((v) => v >= ymin && v <= ymax)
    : ticks(ymin, ymax);
  for (const t of yt) {
    const label = p.logY ? String(Number((10 ** t).toPrecision(3))) : String(t);
    s += `<line x1="${x0 + m.l - 4}" x2="${x0 + w - m.r}" y1="${Yraw(t)}" y2="${Yraw(t)}" stroke="#ddd"/>`;
    s += `<text x="${x0 + m.l - 6}" y="${Yraw(t) + 4}" text-anchor="end" font-size="11">${label}</text>`;
  }
  s += `<text x="${x0 + w / 2}" y="${y0 + h - 8}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`;
  s += `<text x="${x0 + 14}" y="${y0 + h / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 + 14} ${y0 + h / 2})">${esc(p.yLabel)}</text>`;
  p.series.forEach((ser, i) => {
    if (ser.points.length === 0) return;
    const d = ser.points.map((q, j) => `${j ? 'L' : 'M'}${X(q[0]).toFixed(1)},${Y(q[1]).toFixed(1)}`).join(' ');
    // fill-opacity too: ImageMagick's SVG renderer otherwise fills the open path's polygon
    s += `<path d="${d}" fill="none" fill-opacity="0" stroke="${ser.color}" stroke-width="2"${ser.dashed ? ' stroke-dasharray="6 4"' : ''}/>`;
    for (const q of ser.points) s += `<circle cx="${X(q[0]).toFixed(1)}" cy="${Y(q[1]).toFixed(1)}" r="2.5" fill="${ser.color}"/>`;
    const ly = y0 + m.t + 14 + i * 15;
    s += `<line x1="${x0 + m.l + 8}" x2="${x0 + m.l + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${ser.color}" stroke-width="2"${ser.dashed ? ' stroke-dasharray="6 4"' : ''}/>`;
    s += `<text x="${x0 + m.l + 32}" y="${ly}" font-size="11">${esc(ser.label)}</text>`;
  });
  return s;
}

/** Panels side by side in one SVG. */
export function chartSvg(title: string, panels: Panel[], panelW = 420, panelH = 340): string {
  const W = panelW * panels.length;
  const H = panelH + 30;
  let body = `<rect width="${W}" height="${H}" fill="white"/>`;
  body += `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${esc(title)}</text>`;
  panels.forEach((p, i) => (body += panelSvg(p, i * panelW, 30, panelW, panelH)));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif">${body}</svg>\n`;
}

/**
 * Writes `svgPath` and converts it to `pngPath`: Chromium first (it renders strokes and rotated
 * axis labels correctly; ImageMagick's own SVG renderer doubles thick strokes and drops rotated
 * text), ImageMagick `convert` otherwise. Returns a message saying what happened.
 */
export function writeSvgAndPng(svg: string, svgPath: string, pngPath: string): string {
  writeFileSync(svgPath, svg);
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((c) => spawnSync('test', ['-x', c]).status === 0);
  if (chromium) {
    const m = /width="(\d+)" height="(\d+)"/.exec(svg);
    const r = spawnSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--hide-scrollbars', `--screenshot=${pngPath}`, `--window-size=${m?.[1] ?? 1200},${m?.[2] ?? 400}`, `file://${path.resolve(svgPath)}`], { encoding: 'utf8', timeout: 60_000 });
    if (!r.error && r.status === 0) return `wrote ${pngPath} (chromium headless) and ${svgPath}`;
  }
  const conv = spawnSync('convert', ['-density', '110', svgPath, pngPath], { encoding: 'utf8' });
  if (!conv.error && conv.status === 0) return `wrote ${pngPath} (ImageMagick convert) and ${svgPath}`;
  return `PNG NOT WRITTEN: neither chromium nor ImageMagick \`convert\` is available (bash scripts/setup.sh installs both); the SVG is at ${svgPath}`;
}
