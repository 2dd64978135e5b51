import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import { type Account, audit } from '../../db/account-repository.js'
import { CsvExportRoute, PfifExportRoute, ReferralExportRoute } from '../../schemas/exports.js'
import { csvExport } from '../../services/csv-export.js'
import { pfifDomain, pfifExport } from '../../services/pfif.js'
import { referralsCsv } from '../../services/referrals-csv.js'

/** Sends a file download that no cache along the way may keep (it can hold personal data). */
function download(reply: FastifyReply, options: { type: string; filename: string }) {
  return reply
    .type(options.type)
    .header('content-disposition', `attachment; filename="${options.filename}"`)
    .header('cache-control', 'no-store')
}

const today = () => new Date().toISOString().slice(0, 10)

/**
 * Exports for coordinators (CSV, PFIF 1.4), streamed from PostgreSQL in batches. Each is an
 * audit event written before the first byte leaves; the filters are logged, never a row.
 */
const exportsRoutes: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  const coordinator = app.requireRole('coordinator')
  const me = (request: { account: Account | null }) => request.account as Account
  const domain = pfifDomain(config.PUBLIC_BASE_URL)
  // No automatic HEAD: it would write an audit event and run the export for nothing.
  const options = { preHandler: coordinator, exposeHeadRoute: false }

  app.get('/api/v1/export/requests.csv', { schema: CsvExportRoute, ...options }, async (request, reply) => {
    const { personal, status, since } = request.query
    const filters = { status: status ?? null, since: since?.toISOString() ?? null }
    await audit(app.db, { accountId: me(request).id, action: 'export.csv', data: { personal, ...filters } })
    request.log.info({ personal, ...filters }, 'csv export')
    const filename = `bailanys-requests${personal ? '-personal' : ''}-${today()}.csv`
    return download(reply, { type: 'text/csv; charset=utf-8', filename }).send(
      csvExport(app.db, { filter: { status, since }, personal }),
    )
  })

  app.get('/api/v1/export/referrals.csv', { schema: ReferralExportRoute, ...options }, async (request, reply) => {
    const { personal, state, since } = request.query
    const filters = { state: state ?? null, since: since?.toISOString() ?? null }
    await audit(app.db, { accountId: me(request).id, action: 'export.referrals_csv', data: { personal, ...filters } })
    request.log.info({ personal, ...filters }, 'referrals csv export')
    const filename = `bailanys-referrals${personal ? '-personal' : ''}-${today()}.csv`
    return download(reply, { type: 'text/csv; charset=utf-8', filename }).send(
      referralsCsv(app.db, { filter: { state, since }, personal }),
    )
  })

  // PFIF carries names by its nature, so there is no `personal` switch: every PFIF export is personal.
  app.get('/api/v1/export/pfif', { schema: PfifExportRoute, ...options }, async (request, reply) => {
    const { status, since } = request.query
    const filters = { status: status ?? null, since: since?.toISOString() ?? null }
    await audit(app.db, { accountId: me(request).id, action: 'export.pfif', data: filters })
    request.log.info(filters, 'pfif export')
    return download(reply, { type: 'application/xml; charset=utf-8', filename: `bailanys-pfif-${today()}.xml` }).send(
      pfifExport(app.db, { filter: { status, since }, domain, retentionDays: config.RETENTION_DAYS }),
    )
  })
}
export default exportsRoutes
