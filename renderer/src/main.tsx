// Entry point: start the bridge (Electron preload or WebSocket), render the dashboard.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startBridge } from './bridge/index.js';
import { appStore } from './store/index.js';
import { App } from './components/App.js';
import './styles/app.css';

startBridge(appStore);
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
