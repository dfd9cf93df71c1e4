#!/usr/bin/env node
// Draws Interceptor's icons from the SVG sources in assets/src and rasterises them
// with Debian's Chromium (playwright-core), transparent background. Run after
// editing a source:  node assets/generate-icons.mjs
// Tray icons: 24 px and @2x 48 px (Linux panels use 22–24 px); app icon: 512 px
// (plus 256 and 128 for Linux icon themes).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const here = path.dirname(new URL(import.meta.url).pathname);
const jobs = [];
for (const name of ['tray-running', 'tray-paused', 'tray-at-cap']) {
  jobs.push({ src: `${name}.svg`, out: `${name}.png`, size: 24 });
  jobs.push({ src: `${name}.svg`, out: `${name}@2x.png`, size: 48 });
}
for (const size of [512, 256, 128]) jobs.push({ src: 'icon.svg', out: size === 512 ? 'icon.png' : `icon-${size}.png`, size });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const job of jobs) {
    const svg = readFileSync(path.join(here, 'src', job.src), 'utf8');
    await page.setViewportSize({ width: job.size, height: job.size });
    await page.setContent(
      `<!doctype html><html><body style="margin:0;background:transparent">` +
        `<div style="width:${job.size}px;height:${job.size}px">${svg.replace('<svg ', `<svg width="${job.size}" height="${job.size}" `)}</div></body></html>`,
    );
    await page.screenshot({ path: path.join(here, job.out), omitBackground: true, clip: { x: 0, y: 0, width: job.size, height: job.size } });
    console.log(`assets/${job.out} (${job.size}x${job.size})`);
  }
} finally {
  await browser.close();
}
