import type { ProfileName } from '../../../electron/common/model.js';

/** The owner profiles in display order (model.ts PROFILE_NAMES). */
export const PROFILE_NAMES_UI: readonly ProfileName[] = ['inUse', 'idle', 'battery'];
