import type { ReferralState } from '../../db/partner-referral-repository.js'
import type { ReferralSummary } from '../../db/referral-summary-repository.js'
import type { Texts } from './coordinator-view.js'

const STATES: ReferralState[] = ['offered', 'accepted', 'unassigned', 'done']

/**
 * The dashboard's referrals section (views/coordinator-referrals.eta): counts by state, open cases
 * per partner, the oldest case nobody acted on. A partner's name is theirs: shown as written.
 */
export function referralsView(r: ReferralSummary, t: Texts) {
  return {
    states: STATES.map((s) => ({ key: s, name: t(`page.coord.ref.state.${s}`), n: r.byState[s] })),
    partners: r.byPartner,
    oldest: t('page.coord.minutes', { count: Math.round(r.oldestUntouchedSeconds / 60) }),
    dead: r.deadDeliveries,
  }
}
