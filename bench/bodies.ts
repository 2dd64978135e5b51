/**
 * Valid, varied intake bodies for the load generator. Every body has its own requester phone and
 * relative phone, so the open-pair dedup never short-cuts an insert and the per-phone limit never
 * trips: the benchmark measures the path a real new request takes.
 */

type Language = 'kk' | 'ru' | 'en'

export type IntakeBody = {
  requester: { name: string; phone: string; language: Language; notifyVia: 'sms' | 'voice' }
  relative: { name: string; phone: string; city: string; address?: string; notes?: string }
  flags: { elderly: boolean; medical: boolean; children: boolean; disability: boolean }
  consent: true
}

/** Kazakh mobile operator codes (Beeline, Kcell, Tele2/Altel, Activ). */
const MOBILE_CODES = ['701', '702', '705', '707', '747', '777'] as const
const SEVEN_DIGITS = 10_000_000
// Multipliers coprime with 10: i → (i·M + offset) mod 10^7 is a bijection, so no number repeats
// within 10^7 requests while consecutive numbers still look unrelated.
const REQUESTER_M = 7_919_113
const RELATIVE_M = 3_141_593

const NAMES: Record<Language, string[]> = {
  kk: [
    'Айгүл Нұрланқызы',
    'Ержан Сәрсенбаев',
    'Динара Қасымова',
    'Нұрлан Әбенов',
    'Гүлнар Төлеуова',
    'Асқар Жұмабаев',
    'Мәдина Серікқызы',
    'Бауыржан Оспанов',
  ],
  ru: [
    'Ольга Петрова',
    'Сергей Иванов',
    'Наталья Ким',
    'Андрей Соколов',
    'Татьяна Ли',
    'Виктор Пак',
    'Елена Шевченко',
    'Дмитрий Волков',
  ],
  en: [
    'Aigerim Bekova',
    'Daniyar Seitkali',
    'Anna Smith',
    'John Miller',
    'Saule Nurlanovna',
    'Timur Akhmetov',
    'Maria Lopez',
    'Arman Zhakupov',
  ],
}
const RELATIVES = [
  'Күлпаш Әжей',
  'Сәуле Нұрланова',
  'Мама',
  'Әкем Серік',
  'Людмила Викторовна',
  'Николай Петрович',
  'Бабушка Зина',
  'Grandma Raisa',
  'Aliya Omarova',
  'Қайрат Бекболатұлы',
  'Галина Ивановна',
  'Uncle Marat',
]
const CITIES = [
  'Алматы',
  'Almaty',
  'Алма-Ата',
  'Астана',
  'Nur-Sultan',
  'Шымкент',
  'Караганда',
  'Қарағанды',
  'Актобе',
  'Тараз',
  'Павлодар',
  'Өскемен',
  'Усть-Каменогорск',
  'Семей',
  'Атырау',
  'Костанай',
  'Кызылорда',
  'Уральск',
  'Туркестан',
  'Кокшетау',
  'Талдықорған',
  'Каскелен',
  'Есик',
]
const ADDRESSES = [
  'ул. Абая 12, кв. 5',
  'мкр. Самал-2, д. 33',
  'Достық даңғылы 91',
  'Kabanbay Batyr Ave 53, apt 14',
  'ул. Толе би 101',
  'Тұран көшесі 24',
  'пр. Республики 7, кв. 48',
  '5 мкр, дом 17',
]
const NOTES = [
  'Не отвечает с утра, телефон выключен',
  'Телефоны жиі өшіп қалады, екі рет қоңырау шалыңыз',
  'Has a heart condition, please call twice',
  'Живёт одна, плохо слышит',
  'Қарт адам, баяу сөйлейді',
  'Speaks Russian only',
  'Звонить после 10 утра',
]

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T
}

/** The ways people type the same number: all normalise to +7XXXXXXXXXX. */
function written(code: string, digits: string): string {
  const d = `${digits.slice(0, 3)} ${digits.slice(3, 5)} ${digits.slice(5)}`
  switch (Math.floor(Math.random() * 4)) {
    case 0:
      return `+7${code}${digits}`
    case 1:
      return `8 ${code} ${d}`
    case 2:
      return `+7 (${code}) ${d.replaceAll(' ', '-')}`
    default:
      return `8${code}${digits}`
  }
}

/**
 * A generator of bodies, each with a requester phone and a relative phone never used before in
 * this run. `requesterPhones` lists the E.164 requester numbers handed out (for cleaning up
 * per-phone rate-limit keys afterwards).
 */
export function bodyGenerator() {
  const requesterOffset = Math.floor(Math.random() * SEVEN_DIGITS)
  const relativeOffset = Math.floor(Math.random() * SEVEN_DIGITS)
  const requesterPhones: string[] = []
  let i = 0

  function next(): IntakeBody {
    if (i >= SEVEN_DIGITS) throw new Error('body generator exhausted its unique phone numbers')
    const reqCode = MOBILE_CODES[i % MOBILE_CODES.length] as string
    const relCode = MOBILE_CODES[(i + 3) % MOBILE_CODES.length] as string
    const reqDigits = String((i * REQUESTER_M + requesterOffset) % SEVEN_DIGITS).padStart(7, '0')
    const relDigits = String((i * RELATIVE_M + relativeOffset) % SEVEN_DIGITS).padStart(7, '0')
    i++
    requesterPhones.push(`+7${reqCode}${reqDigits}`)
    const language = pick(['kk', 'ru', 'ru', 'en'] as const)
    const body: IntakeBody = {
      requester: {
        name: pick(NAMES[language]),
        phone: written(reqCode, reqDigits),
        language,
        notifyVia: Math.random() < 0.8 ? 'sms' : 'voice',
      },
      relative: { name: pick(RELATIVES), phone: written(relCode, relDigits), city: pick(CITIES) },
      flags: {
        elderly: Math.random() < 0.4,
        medical: Math.random() < 0.2,
        children: Math.random() < 0.2,
        disability: Math.random() < 0.1,
      },
      consent: true,
    }
    if (Math.random() < 0.6) body.relative.address = pick(ADDRESSES)
    if (Math.random() < 0.4) body.relative.notes = pick(NOTES)
    return body
  }

  return { next, requesterPhones, count: () => i }
}
