export type { LoginItem } from './login-item.js';
export { desktopExecQuote, systemdQuote } from './quoting.js';
export { AUTOSTART_FILE, autostartDir, autostartEntry, xdgAutostart } from './xdg-autostart.js';
export { SystemdUserService, UNIT_NAME, realSystemctl, userUnit, userUnitDir, type Systemctl, type UnitStatus } from './systemd-user.js';
