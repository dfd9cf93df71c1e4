// What the front hands the CLI (native/src/front.c): `bin/interceptor run -- CMD`, an app with no
// cap, starts its helper before node, and the helper runs the app at once; the CLI then takes
// the control socket the front listens on, the helper's token and its pid, from INTERCEPTOR_FRONT.
import { CommandError } from '../../common/errors.js';

export interface Front {
  /** The listening control socket node inherited. */
  fd: number;
  helperPid: number;
  token: string;
  /** Its 0700 directory (removed when the engine closes its Creator). */
  dir: string;
}

const FRONT = /^(\d{1,5}) (\d{1,10}) ([0-9a-f]{64}) (\/.*\/interceptor-catcher-[A-Za-z0-9]{6})$/;

/**
 * INTERCEPTOR_FRONT, taken out of the environment (the apps the engine starts must not see
 * it); null when absent. A malformed one is an error: nothing but the front sets it.
 */
export function takeFront(env: NodeJS.ProcessEnv = process.env): Front | null {
  const text = env.INTERCEPTOR_FRONT;
  delete env.INTERCEPTOR_FRONT;
  if (text === undefined) return null;
  const m = FRONT.exec(text);
  const fd = Number(m?.[1]);
  const helperPid = Number(m?.[2]);
  if (!m || fd < 3 || fd > 65535 || helperPid < 2 || helperPid > 4_194_304) {
    throw new CommandError('invalid', `INTERCEPTOR_FRONT is set by bin/interceptor alone ("FD PID TOKEN DIR"); got ${JSON.stringify(text.slice(0, 200))}`);
  }
  return { fd, helperPid, token: m[3]!, dir: m[4]! };
}
