// The owner's profiles — a set of caps each, the one in force chosen from idle and power
// state or by hand — and their names for a person. Pure (the dashboard imports it as it is).

/** In display order. */
export const PROFILE_NAMES = ['inUse', 'idle', 'battery'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The owner's choice of profile: "auto" follows idle and power state; a name pins that profile. */
export const PROFILE_CHOICES = ['auto', ...PROFILE_NAMES] as const;
export type ProfileChoice = (typeof PROFILE_CHOICES)[number];

/** The profiles as the dashboard, the tray and the event log name them. */
export const PROFILE_LABELS: Record<ProfileName, string> = { inUse: 'In use', idle: 'Idle', battery: 'On battery' };

/** How long without input before the automatic choice takes the idle profile: the owner's setting stays within these. */
export const IDLE_MIN_SECONDS = 30;
export const IDLE_MAX_SECONDS = 86_400;
