/** Thumbnail sizes when a workflow is not told (the API passes AVATAR_SIZES). Plain data: workflows read it. */
export const DEFAULT_AVATAR_SIZES: readonly number[] = [64, 128, 256];
