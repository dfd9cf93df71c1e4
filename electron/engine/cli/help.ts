// The help of every command: `interceptor --help`, `interceptor CMD --help`, `interceptor help CMD`.
import { EVENT_KINDS } from '../../common/history.js';
import { CEILING_HELP } from './ceilings.js';

const EVENT_KINDS_TEXT = EVENT_KINDS.join(', ');

// (here, not beside their commands: the help is loaded with every command, and the commands
// that talk to a server load a WebSocket client)
export const CONNECT_HELP = `Connection (default: the server of this user, found in its state dir):
  --url URL            http://HOST:PORT of the server
  --token-file FILE    file holding the token (or set INTERCEPTOR_TOKEN)
  --state-dir DIR      state dir of the server (default $XDG_STATE_HOME/interceptor)`;

export const QUOTAS_HELP = `Usage: interceptor quotas [list] [--json]
       interceptor quotas add [--app ID] --day SIZE|--month SIZE --up|--down|--both --pause|--slow RATE
       interceptor quotas rm N
       interceptor quotas reset-day DAY

Transfer quotas: the total an app (--app) or all apps together may move in a day or a month,
up, down or both. When one is reached the app (or every app) is paused, or slowed to RATE
each way, until the period ends; each is an event and a notification. Months start on the
reset day (1-28, local midnight; changing it starts a new month). \`rm\` takes the number
\`list\` shows. Sizes: 500MB, 20GB, 1TiB; rates: 100kB/s, 1Mbit/s.
${CONNECT_HELP}
`;

const RATES = 'Rates: 500kB/s, 2MB/s, 100Mbit/s (or 100Mbit, 20Mbps); sizes: 512MB, 2GiB; CPU: percent of the whole machine.';

export const USAGE = `Usage: interceptor COMMAND [OPTIONS]

Run P2P and volunteer-computing apps under owner-set CPU, network, disk and memory caps.

Commands:
  serve                 run the engine headless; serve the dashboard and the API
  open                  open the running server's dashboard in the browser
  run -- CMD [ARGS]     run one program in the foreground under caps
  status                show the running server's profile, caps, apps and figures
  apps list|add|set|rm|start|stop|pause|resume
                        manage the apps of the running server
  caps show|set         show or set the caps of a profile
  profile show|set      show the profile in force, or pick one (or auto)
  schedule show|set|clear
                        the week schedule: a profile or a pause per hour, now and next
  pause [--for 15m]     pause all apps (until resumed, or for a while)
  resume                end a pause of all apps
  quotas list|add|rm|reset-day
                        daily and monthly transfer quotas, per app or for all apps
  apply -f FILE         make the server's caps, profile and apps those of a policy file
  export                print the server's caps, profile and apps as a policy file
  history [--range 24h] usage per app over 5m, 1h, 24h or 30d, as CSV (or --json)
  events [--kind K]     the event log, filtered by app, kind and time
  service install|uninstall|status|print
                        start \`interceptor serve\` at login (systemd user unit)
  adopt UNIT | --list   run a systemd service under caps (a drop-in); list candidates
  release UNIT          give an adopted unit back to systemd as it was
  help [COMMAND]        show the help of a command

Options: -h, --help  help (also after any command);  -V, --version  the version.
Exit status: 0 done, 1 failed, 2 usage error (run: the program's own exit status).
`;

export const HELP: Record<string, string> = {
  main: USAGE,
  serve: `Usage: interceptor serve [--port N] [--host ADDR] [--config-dir DIR] [--state-dir DIR] [--no-autostart]

Run the engine headless and serve the dashboard and the API on http://127.0.0.1:7329
(or the port given). The port and the token stay the same across restarts: the token
is created once in <state-dir>/token (mode 0600); the port, if 7329 was busy, is the one
picked then. Profiles switch from idle (logind) and battery (/sys/class/power_supply).

  -p, --port N          listen on port N (0: any free port)
      --host ADDR       listen on ADDR (default 127.0.0.1; others are warned about)
      --config-dir DIR  settings and apps (default $XDG_CONFIG_HOME/interceptor)
      --state-dir DIR   token and port (default $XDG_STATE_HOME/interceptor)
      --no-autostart    do not start the apps marked autostart
`,
  open: `Usage: interceptor open [--print] [connection options]

Open the running server's dashboard in the browser ($BROWSER, else xdg-open). The token
goes through a private launcher page, never on a command line.

      --print           print the URL with its token instead (to copy by hand)
${CONNECT_HELP}
`,
  run: `Usage: interceptor run [--cpu 25%] [--up RATE] [--down RATE] [--disk RATE] [--mem SIZE] [-q] -- CMD [ARGS...]

Run one program in the foreground under these caps: its output on stdout, live figures
on stderr, its exit status as ours. Without \`--\`, the first word that is not an option
starts the program.

      --cpu PERCENT     CPU, percent of the whole machine
      --up RATE         upload; or a percent of the link's speed (--up 50%)
      --down RATE       download; or a percent of the link's speed
      --disk RATE       disk reads + writes; or a percent of the disk's speed (measured now)
      --mem SIZE        memory
      --cpu-mechanism auto|cgroup|ptrace
                        how the CPU cap is enforced: the kernel's bandwidth control (a
                        cgroup) where this system allows it, else ptrace stops (auto)
  -q, --quiet           no live figures
${RATES}
`,
  status: `Usage: interceptor status [--json] [connection options]

Show the running server's profile and why, the caps, the capacity and every app with
its figures. --json prints {state, snapshot} as the API returns them.
${CONNECT_HELP}
`,
  apps: `Usage: interceptor apps list [--json]
       interceptor apps add [--name NAME] [--cwd DIR] [--env NAME=VALUE]... [--autostart]
                            [--cpu 10%] [--up RATE] [--down RATE] [--disk RATE] [--mem SIZE]
                            [--max-cpu 20%] [--max-up RATE] ... -- CMD [ARGS...]
       interceptor apps set ID [--cpu 10%] ... [--max-up RATE|none] ...
       interceptor apps rm|start|stop|pause|resume ID

Manage the apps of the running server. \`add\` prints the new app's id; the share
options are the app's nominal share of each cap (the least it receives while it asks);
${CEILING_HELP}
\`set\` changes the shares and ceilings it is given, at once if the app runs. ${RATES}
${CONNECT_HELP}
`,
  caps: `Usage: interceptor caps show [--profile NAME]
       interceptor caps set [--profile NAME] [--cpu PERCENT|none] [--up RATE|none] [--down RATE|none]
                            [--disk RATE|none] [--mem SIZE|none]

Show or set the owner's caps of a profile (in-use, idle, battery; default: the one in
force). "none" removes a cap. ${RATES}
${CONNECT_HELP}
`,
  profile: `Usage: interceptor profile [show] [--json]
       interceptor profile set auto|in-use|idle|battery

Show the profile in force and why, or pick one by hand: it stays until you set
another, or \`auto\` (chosen from idle time and battery). With a week schedule on, a
pick holds until the schedule's next change (\`interceptor schedule\`).
${CONNECT_HELP}
`,
  schedule: `Usage: interceptor schedule [show] [--json]
       interceptor schedule set DAYS HOURS SLOT [--off]
       interceptor schedule set --on|--off
       interceptor schedule clear

The week schedule of the running server: for each hour of the week (local time of the
server), what decides the profile. show prints the grid, the profile in force and why
(picked by hand, forced by the schedule, or detection) and the schedule's next change.
set paints hours and turns the schedule on; clear makes every hour auto and turns it off.

  DAYS    mon..sun, a range (mon-fri, fri-mon), a list (sat,sun), weekdays, weekend, all
  HOURS   09-18 (09:00 to 18:00), 9 (09:00 to 10:00), 22-24, all
  SLOT    auto       the owner's pick, else idle and power detection, decide
          in-use, idle, battery   that profile's caps, whatever detection sees
          paused     every app paused

A profile picked by hand (\`interceptor profile set\`) overrides the schedule until its
next change; then the schedule decides again.

  interceptor schedule set weekdays 09-18 in-use
  interceptor schedule set all 01-06 idle
  interceptor schedule set sun all paused
${CONNECT_HELP}
`,
  pause: `Usage: interceptor pause [--for DURATION] [connection options]

Pause all apps until resumed, or for a while (90s, 15m, 1h, 2d; at most 30 days).
The pause survives a restart of the server.
${CONNECT_HELP}
`,
  resume: `Usage: interceptor resume [connection options]

End a pause of all apps.
${CONNECT_HELP}
`,
  adopt: `Usage: interceptor adopt UNIT [--user|--system] [--name NAME] [--cpu 25%] [--up RATE] [--down RATE]
                        [--disk RATE] [--mem SIZE] [--engine-down run|hold] [--root DIR] [connection options]
       interceptor adopt --list [--json]

Run a systemd service under the caps of the running server: an app (with these shares) is
added, and a drop-in (UNIT.d/zz-interceptor.conf) runs the unit's own ExecStart through
\`interceptor exec-adopted\`, which connects it to the engine at each start; the unit is
restarted if it runs. The drop-in holds no secret (the token is read from the state dir).
A system unit's drop-in is written through sudo (it says so) and systemctl asks polkit;
its helper must run as the engine's user. --list: the user's and the system's units
that look like P2P services.

      --engine-down run|hold  no engine at the service's start: start uncapped (run, the
                        default) or wait for the engine (hold)
      --root DIR        a system image's files under DIR (no sudo, no systemctl)
${CONNECT_HELP}
${RATES}
`,
  release: `Usage: interceptor release UNIT [--user|--system] [--root DIR] [connection options]

Remove the drop-in of an adopted unit and restart it if it runs, as it was before; its
app is removed from the server.
`,
  'exec-adopted': `Usage: interceptor exec-adopted --app ID --unit UNIT --engine-down run|hold --state-dir DIR -- CMD [ARGS...]

The ExecStart of an adopted unit's drop-in (written by \`interceptor adopt\`): runs CMD under
the helper, connected to the engine of DIR; with no engine, uncapped (run) or once the
engine answers (hold).
`,
  apply: `Usage: interceptor apply -f FILE|- [--dry-run] [--prune] [--format json|yaml] [connection options]

Make the running server's policy that of FILE (JSON or YAML; - reads stdin): the profile
choice, the caps of each profile, the apps with their nominal shares and ceilings, the week
schedule, the transfer quotas. Prints every item:
+ added, ~ changed, - removed, = unchanged. Applying the same file again changes nothing.
Parts the file leaves out are not touched; an app is matched by its id, else its name.

  -f, --file FILE       the policy (.json is JSON, anything else YAML)
      --dry-run         print what would change, change nothing
      --prune           remove (stopping them) the apps that are not in the file
      --format F        json or yaml, whatever the file's name (default for stdin: yaml)

A policy (the same as \`interceptor export\` prints):
  profile: auto                      # or inUse, idle, battery
  caps:
    inUse: { cpu: 50%, netUp: 8Mbit/s, netDown: 2MB/s, disk: none, mem: 2GB }
  apps:
    - name: Syncthing
      command: syncthing
      args: [serve, --no-browser]
      shares: { cpu: 10%, netUp: 1MB/s }   # absent resources: 0
      ceilings: { netUp: 2MB/s }           # the most it receives; absent: none
  schedule:                          # the whole week schedule (interceptor schedule --help)
    enabled: true
    mon: 00-09 auto, 09-18 in-use, 18-24 auto   # a day left out: all auto
  quotas:                            # present: these rules replace the server's
    resetDay: 15
    rules:
      - { appId: null, period: month, direction: both, bytes: 50GB, action: slow, slowTo: 100kB/s }
${RATES}
${CONNECT_HELP}
`,
  export: `Usage: interceptor export [--format json|yaml] [connection options]

Print the running server's policy — the profile choice, the caps of every profile, every
app — in the format \`interceptor apply -f\` reads (default yaml), so that
\`interceptor export | interceptor apply -f -\` changes nothing.
${CONNECT_HELP}
`,
  history: `Usage: interceptor history [--range 5m|1h|24h|30d] [--app ID] [--csv | --json] [connection options]

Print the running server's usage history over a range (default 1h) from its history
database: one row per bucket (1 s for 5m, 10 s for 1h, 5 min for 24h, 2 h for 30d) and
app, plus "all" for every app together; per resource the mean and the peak second.
CSV by default (--csv says so explicitly); --json prints the API's answer.

  -r, --range R         5m, 1h, 24h or 30d
      --app ID          only this app (and the totals)
${CONNECT_HELP}
`,
  events: `Usage: interceptor events [--app ID] [--kind KIND]... [--since 1h] [--limit N] [--json] [connection options]

Print the running server's event log, kept across restarts (a year), oldest first: the
newest N entries (default 200, at most 5000) that match every filter given.

      --app ID          only this app's entries
      --kind KIND       ${EVENT_KINDS_TEXT} (repeat, or a,b)
      --since DURATION  only the last 90s, 15m, 1h, 2d (at most 366d)
      --json            the entries as the API returns them
${CONNECT_HELP}
`,
  service: `Usage: interceptor service install [--no-start] [--config-dir DIR] [--state-dir DIR]
       interceptor service uninstall [--no-start]
       interceptor service status
       interceptor service print

Run \`interceptor serve\` at login as a systemd user unit
($XDG_CONFIG_HOME/systemd/user/interceptor.service). install writes and enables it
and starts it now (--no-start: at the next login); uninstall stops, disables and
removes it; status exits 0 when it runs, 3 when not, 4 when systemd cannot tell;
print shows the unit. To run it at boot without logging in: loginctl enable-linger.
`,
};
HELP.quotas = QUOTAS_HELP;
for (const verb of ['list', 'add', 'rm', 'reset-day']) HELP[`quotas ${verb}`] = QUOTAS_HELP;
for (const verb of ['list', 'add', 'set', 'rm', 'start', 'stop', 'pause', 'resume']) HELP[`apps ${verb}`] = HELP.apps!;
for (const verb of ['show', 'set']) {
  HELP[`caps ${verb}`] = HELP.caps!;
  HELP[`profile ${verb}`] = HELP.profile!;
}
for (const verb of ['show', 'set', 'clear']) HELP[`schedule ${verb}`] = HELP.schedule!;
for (const verb of ['install', 'uninstall', 'status', 'print']) HELP[`service ${verb}`] = HELP.service!;
