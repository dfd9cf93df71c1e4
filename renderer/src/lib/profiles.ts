import type { ProfileName } from '../../../electron/common/model.js';

/** The owner profiles in display order (model.ts PROFILE_NAMES). */
export const PROFILE_NAMES_UI: readonly ProfileName[] = ['inUse', 'idle', 'battery'];

/** The profiles' names for the owner (electron/common/event-text.ts PROFILE_LABELS; a test keeps them equal). */
export const PROFILE_LABELS: Record<ProfileName, string> = { inUse: 'In use', idle: 'Idle', battery: 'On battery' };
