import type { FastifyRequest } from 'fastify'

/**
 * The header the pages' own scripts add to their JSON calls (`X-Bailanys-CSRF: 1`). Its value
 * does not matter: another site's form cannot send a custom header, and its scripts cannot
 * either without a CORS preflight, which this service never grants.
 */
export const SAME_ORIGIN_HEADER = 'x-bailanys-csrf'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
/** The JSON API and bull-board's; the pages are not here, their forms carry CSRF tokens. */
const API_PREFIXES = ['/api/', '/admin/']

/** A state-changing request to a route of the JSON API (by the route's pattern, not the raw URL). */
export function isApiChange(request: FastifyRequest): boolean {
  const route = request.routeOptions.url
  return !SAFE_METHODS.has(request.method) && route !== undefined && API_PREFIXES.some((prefix) => route.startsWith(prefix))
}

function ownOrigin(request: FastifyRequest): string | undefined {
  try {
    return new URL(`${request.protocol}://${request.host}`).origin
  } catch {
    return undefined
  }
}

/**
 * Whether a request comes from a page of this service. The first signal the browser gave
 * decides, so that a custom header can never outvote a browser that says "cross-site":
 * 1. `Sec-Fetch-Site` (every current browser; no script can set it): `same-origin` or `none`;
 * 2. else `Origin` (older browsers send it on a POST): the origin of PUBLIC_BASE_URL, or the
 *    request's own (scheme and Host, as seen through TRUST_PROXY);
 * 3. else, with neither (an old browser), the pages' header `SAME_ORIGIN_HEADER`.
 * Anything else is refused, whatever the body's content type (a cross-site `text/plain` POST
 * needs no preflight, which is why it is the classic way round a JSON-only check).
 */
export function isSameOrigin(request: FastifyRequest, publicOrigin: string): boolean {
  const site = request.headers['sec-fetch-site']
  if (site !== undefined) return site === 'same-origin' || site === 'none'
  const origin = request.headers.origin
  if (origin !== undefined) return origin === publicOrigin || origin === ownOrigin(request)
  return request.headers[SAME_ORIGIN_HEADER] !== undefined
}
