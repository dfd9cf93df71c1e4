// The stylesheet's rules that no browser here can check: keyboard focus visible on the
// slider itself in every engine (not only WebKit's thumb), and no fixed width that forces
// a narrow window to scroll sideways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const css = readFileSync(new URL('../../renderer/src/styles/app.css', import.meta.url), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');

/** The declarations of every rule whose selector list is exactly `selector`. */
function rules(selector: string): string[] {
  const out: string[] = [];
  const re = /([^{}]+)\{([^{}]*)\}/g;
  for (let m = re.exec(css); m; m = re.exec(css)) if (m[1]!.trim() === selector) out.push(m[2]!);
  return out;
}

test('the slider shows keyboard focus on itself, so Firefox shows it too', () => {
  const own = rules('.range:focus-visible');
  assert.ok(own.length > 0, 'a :focus-visible rule on the slider element');
  assert.ok(own.every((d) => !/outline\s*:\s*(none|0)\b/.test(d)), 'never removed');
  assert.ok(own.some((d) => /outline\s*:\s*2px solid var\(--focus\)/.test(d)), 'drawn with the focus colour');
});

test('no grid track or table is wider than a narrow window', () => {
  const wide = css.match(/minmax\(\s*[3-9]\d\dpx[^)]*\)|(?<!\()min-width:\s*[3-9]\d\dpx/g);
  assert.equal(wide, null, 'a minimum of 300 px or more is wrapped in min(…, 100%)');
});
