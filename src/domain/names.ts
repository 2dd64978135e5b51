const CYRILLIC_TO_LATIN: Record<string, string> = {
  а: 'a',
  ә: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  ғ: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'i',
  і: 'i',
  к: 'k',
  қ: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  ң: 'n',
  о: 'o',
  ө: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ұ: 'u',
  ү: 'u',
  ф: 'f',
  х: 'h',
  һ: 'h',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'sh',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
}

/**
 * A person's name folded so that its Kazakh, Russian and Latin spellings compare equal:
 * "Сауле Нурланова", "Сәуле Нұрланова" and "Saule Nurlanova" all give "nurlanova saule".
 * Words are sorted, so the order of given and family names does not matter.
 */
export function nameKey(name: string): string {
  return name
    .normalize('NFC')
    .toLowerCase()
    .replace(/[а-яёәғқңөұүһі]/g, (ch) => CYRILLIC_TO_LATIN[ch] ?? ch)
    .replace(/kh/g, 'h')
    .replace(/[yj]/g, (ch) => (ch === 'y' ? 'i' : 'zh'))
    .replace(/q/g, 'k')
    .replace(/w/g, 'u')
    .replace(/[^a-z\s]/g, ' ')
    .replace(/(.)\1+/g, '$1')
    .split(/\s+/)
    .filter(Boolean)
    .sort()
    .join(' ')
}
