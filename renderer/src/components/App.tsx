// The dashboard's frame: header, banners, the current view, the app editor.
import { useEffect } from 'react';
import { useStore } from '../store/index.js';
import { Header } from './Header.js';
import { ConnectionBanner, HistoryBanner, PlatformBanner } from './Banner.js';
import { Overview } from './Overview.js';
import { AppsView } from './AppsView.js';
import { EventLog } from './EventLog.js';
import { AppEditor } from './AppEditor.js';
import { SettingsView } from './SettingsView.js';
import { resolvedTheme } from './TerminalView.js';

const THEME_KEY = 'interceptor.theme';

function useTheme() {
  const theme = useStore((s) => s.theme);
  const setTheme = useStore((s) => s.setTheme);
  useEffect(() => {
    try {
      const saved = localStorage.getItem(THEME_KEY);
      if (saved === 'light' || saved === 'dark' || saved === 'system') setTheme(saved);
    } catch {
      /* storage unavailable */
    }
  }, [setTheme]);
  useEffect(() => {
    const apply = () => {
      document.documentElement.dataset.theme = resolvedTheme(theme);
    };
    apply();
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      /* storage unavailable */
    }
    if (theme !== 'system' || typeof matchMedia !== 'function') return;
    const query = matchMedia('(prefers-color-scheme: dark)');
    query.addEventListener('change', apply);
    return () => query.removeEventListener('change', apply);
  }, [theme]);
}

export function App() {
  useTheme();
  const view = useStore((s) => s.view);
  return (
    <div className="app">
      <Header />
      <ConnectionBanner />
      <PlatformBanner />
      <HistoryBanner />
      <main className="main" id="main">
        {view === 'overview' && <Overview />}
        {view === 'apps' && <AppsView />}
        {view === 'events' && <EventLog />}
        {view === 'settings' && <SettingsView />}
      </main>
      <AppEditor />
    </div>
  );
}
