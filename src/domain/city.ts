import { KZ_CITIES } from './kz-cities.js'

const KAZAKH_TO_RUSSIAN: Record<string, string> = {
  ә: 'а',
  ғ: 'г',
  қ: 'к',
  ң: 'н',
  ө: 'о',
  ұ: 'у',
  ү: 'у',
  һ: 'х',
  і: 'и',
  ё: 'е',
}
/** Words around a city name that do not change which city it is. */
const NOISE = new Set(['city', 'г', 'г.', 'город', 'қаласы', 'каласы', 'qalasy'])

/** Folds case, dashes, spaces, "city"/"город" and Kazakh letters so spellings compare equal. */
function fold(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .split(/[\s,]+/)
    .filter((word) => !NOISE.has(word))
    .join('')
    .replace(/[әғқңөұүһіё]/g, (ch) => KAZAKH_TO_RUSSIAN[ch] ?? ch)
    .replace(/[-–—.'’`"]/g, '')
}

const BY_NAME = new Map<string, string>()
for (const city of KZ_CITIES) {
  for (const name of [city.id, city.kk, city.ru, city.en, ...city.also]) BY_NAME.set(fold(name), city.id)
}

/**
 * The key a city is grouped under in the backlog: the known city's id ("Алма-Ата" and
 * "Almaty" give `almaty`), or the folded text for a place not in the list.
 */
export function cityKey(name: string): string {
  const folded = fold(name)
  return BY_NAME.get(folded) ?? folded
}

/** The id of a city in the list, if `name` is one of its spellings. */
export function knownCityId(name: string): string | undefined {
  return BY_NAME.get(fold(name))
}
