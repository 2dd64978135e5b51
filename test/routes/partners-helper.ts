import type { FastifyInstance } from 'fastify'
import { PASSWORD } from '../accounts-helper.js'
import { uniquePhone } from '../helper.js'

/** A partner registered through the coordinators' API, with a key (shown once) and the key's headers. */
export async function partner(
  app: FastifyInstance,
  boss: { headers: Record<string, string> },
  fields: Record<string, unknown> = {},
) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/partners',
    headers: boss.headers,
    payload: {
      name: 'Red Crescent Almaty',
      categories: ['medical', 'food'],
      regions: ['Алматы'],
      languages: ['kk', 'ru'],
      intake: 'pages',
      ...fields,
    },
  })
  if (res.statusCode !== 201) throw new Error(`partner not created: ${res.body}`)
  const id = res.json().id as string
  const key = await app.inject({
    method: 'POST',
    url: `/api/v1/partners/${id}/keys`,
    headers: boss.headers,
    payload: { label: 'script' },
  })
  return {
    id,
    key: key.json().key as string,
    keyId: key.json().id as string,
    headers: { authorization: `Bearer ${key.json().key}` },
  }
}

/** A partner's staff account, logged in through the same login as everyone. */
export async function partnerAccount(app: FastifyInstance, boss: { headers: Record<string, string> }, partnerId: string) {
  const phone = uniquePhone()
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/partners/${partnerId}/accounts`,
    headers: boss.headers,
    payload: { name: 'Partner Staff', phone, languages: ['ru'], password: PASSWORD },
  })
  if (res.statusCode !== 201) throw new Error(`partner account not created: ${res.body}`)
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: phone, password: PASSWORD } })
  return {
    id: res.json().id as string,
    phone,
    headers: { authorization: `Bearer ${login.json().token}` },
    token: login.json().token as string,
  }
}
