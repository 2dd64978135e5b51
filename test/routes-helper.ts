import Fastify, { type RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Test } from 'tap'
import { BODY_LIMIT, app as bailanys } from '../src/app.js'
import type { Config } from '../src/config.js'
import { testConfig } from './helper.js'

/** One registered route: `GET /api/v1/me`. HEAD routes are left out: they follow their GET. */
export type RouteKey = `${string} ${string}`

/**
 * The app as `build()` makes it, plus the list of every route it registered. buildApp gives no
 * hook before its routes exist, so the instance is made here with an `onRoute` hook first; the
 * routes all come from the app plugin, the same one buildApp registers.
 */
export async function buildWithRoutes(t: Test, overrides: Partial<Config> = {}) {
  const config = await testConfig(t, overrides)
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, trustProxy: config.TRUST_PROXY })
  const seen = new Set<RouteKey>()
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) seen.add(`${method} ${route.url}`)
  })
  await app.register(fp(bailanys), { config })
  t.teardown(() => app.close())
  await app.ready()
  // A HEAD follows its GET, with or without the trailing slash that a prefixed '/' route gets.
  const hasGet = (url: string) => seen.has(`GET ${url}`) || seen.has(`GET ${url.replace(/(.)\/$/, '$1')}`)
  const routes = [...seen].filter((key) => !(key.startsWith('HEAD ') && hasGet(key.slice(5)))).sort()
  return { app, config, routes }
}
