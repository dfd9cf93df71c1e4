// "Start Interceptor at login", as the engine shows and sets it: the desktop app
// through an XDG autostart entry, the headless server through a systemd user unit.
import type { StartAtLogin } from '../../common/model.js';

export interface LoginItem {
  describe(): Promise<StartAtLogin>;
  set(enabled: boolean): Promise<StartAtLogin>;
}
