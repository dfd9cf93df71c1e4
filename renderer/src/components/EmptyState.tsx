// First run: what Interceptor does and the three steps to start.
import type { ReactNode } from 'react';
import { useStore } from '../store/index.js';

export function FirstRun() {
  const openEditor = useStore((s) => s.openEditor);
  const setView = useStore((s) => s.setView);
  return (
    <section className="card first-run" aria-labelledby="first-run-title" data-testid="first-run">
      <h2 id="first-run-title">Lend this computer to P2P apps, on your terms</h2>
      <p>
        Interceptor runs peer-to-peer and volunteer-computing apps (BitTorrent, IPFS, Syncthing, BOINC…) unchanged, and keeps them within
        the caps you set, so your own work stays fast.
      </p>
      <ol className="first-run__steps">
        <li>
          <strong>Set your caps</strong> below: the most all P2P apps together may take of the CPU, upload, download, disk and memory.
        </li>
        <li>
          <strong>Add an app</strong>: its command and the share each resource guarantees it.
        </li>
        <li>
          <strong>Watch</strong> who uses what here, pause everything when you need the machine, and read each app's output in its terminal.
        </li>
      </ol>
      <button
        type="button"
        className="btn btn--primary"
        onClick={() => {
          setView('apps');
          openEditor({ mode: 'add' });
        }}
      >
        Add your first app
      </button>
    </section>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty__title">{title}</p>
      {children && <div className="empty__body">{children}</div>}
    </div>
  );
}
