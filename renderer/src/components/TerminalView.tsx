// The terminal of one app: xterm.js on the app's pty, backlog first then live
// output, with scrollback; what the owner types goes to the app.
import { useEffect, useRef, useState } from 'react';
import { Terminal, type ITheme } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { bridge } from '../bridge/index.js';
import { appStore, useStore } from '../store/index.js';
import { withAdoptedStyles } from '../lib/cspStyles.js';

const DARK: ITheme = { background: '#0f1419', foreground: '#d7dde4', cursor: '#d7dde4', selectionBackground: '#34506b' };
const LIGHT: ITheme = { background: '#fbfcfd', foreground: '#1d2733', cursor: '#1d2733', selectionBackground: '#b9d3ee' };

export function resolvedTheme(choice: 'system' | 'light' | 'dark'): 'light' | 'dark' {
  if (choice !== 'system') return choice;
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function TerminalView({ appId }: { appId: string }) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const theme = useStore((s) => s.theme);
  const connected = useStore((s) => s.connection.status === 'open');
  const [empty, setEmpty] = useState(true);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const terminal = new Terminal({
      scrollback: 10_000,
      convertEol: false,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      cursorBlink: false,
      theme: resolvedTheme(appStore.getState().theme) === 'dark' ? DARK : LIGHT,
    });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    const { dispose: disposeStyles } = withAdoptedStyles(() => terminal.open(el));
    term.current = terminal;
    const b = bridge();
    let lastSize = '';
    const resize = () => {
      try {
        fit.fit();
      } catch {
        return; // not laid out yet
      }
      const size = `${terminal.cols}x${terminal.rows}`;
      if (size !== lastSize) {
        lastSize = size;
        b.resizeTerminal(appId, terminal.cols, terminal.rows).catch(() => {});
      }
    };
    resize();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const observer = new ResizeObserver(() => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(resize, 80);
    });
    observer.observe(el);
    const unfollow = b.followTerminal(appId, (data, reset) => {
      if (reset) terminal.reset();
      if (data) {
        terminal.write(data);
        setEmpty(false);
      }
    });
    const input = terminal.onData((data) => {
      b.writeTerminal(appId, data).catch(() => {});
    });
    return () => {
      if (timer) clearTimeout(timer);
      observer.disconnect();
      unfollow();
      input.dispose();
      terminal.dispose();
      disposeStyles();
      term.current = null;
    };
  }, [appId]);

  useEffect(() => {
    if (term.current) term.current.options.theme = resolvedTheme(theme) === 'dark' ? DARK : LIGHT;
  }, [theme]);

  return (
    <div className="term-panel" data-testid={`terminal-${appId}`}>
      <div className="term-panel__host" ref={host} role="region" aria-label="App terminal: output and input" />
      {empty && <p className="term-panel__empty muted">{connected ? 'No output yet. Output appears here live; type to send input.' : 'Not connected.'}</p>}
    </div>
  );
}
