/** Vulnerability flags a requester can tick; each raises the request's priority. */
export type Flags = { elderly: boolean; medical: boolean; children: boolean; disability: boolean }

/** Priority of a request without flags. BullMQ takes lower numbers first. */
export const NORMAL_PRIORITY = 10

const RANK: Record<keyof Flags, number> = { medical: 2, disability: 3, elderly: 4, children: 5 }

/**
 * The queue priority from the flags: the most urgent flag sets it and every further flag
 * moves it one step sooner (1 is the most urgent; 1 is also the floor, since BullMQ puts
 * jobs with no priority before all others and we always set one).
 */
export function priorityFromFlags(flags: Flags): number {
  const ranks = (Object.keys(RANK) as (keyof Flags)[]).filter((f) => flags[f]).map((f) => RANK[f])
  if (ranks.length === 0) return NORMAL_PRIORITY
  return Math.max(1, Math.min(...ranks) - (ranks.length - 1))
}
