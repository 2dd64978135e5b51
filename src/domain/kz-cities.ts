/**
 * Kazakhstan's main cities with the spellings requesters use (copied from the shared
 * kz-places fixture; the running service never reads ../shared).
 */
export const KZ_CITIES = [
  {
    "id": "almaty",
    "kk": "Алматы",
    "ru": "Алматы",
    "en": "Almaty",
    "also": [
      "Алма-Ата",
      "Alma-Ata",
      "Almaty city"
    ]
  },
  {
    "id": "astana",
    "kk": "Астана",
    "ru": "Астана",
    "en": "Astana",
    "also": [
      "Нур-Султан",
      "Nur-Sultan",
      "Акмола",
      "Целиноград"
    ]
  },
  {
    "id": "shymkent",
    "kk": "Шымкент",
    "ru": "Шымкент",
    "en": "Shymkent",
    "also": [
      "Чимкент",
      "Chimkent"
    ]
  },
  {
    "id": "aktobe",
    "kk": "Ақтөбе",
    "ru": "Актобе",
    "en": "Aktobe",
    "also": [
      "Актюбинск",
      "Aqtobe"
    ]
  },
  {
    "id": "karaganda",
    "kk": "Қарағанды",
    "ru": "Караганда",
    "en": "Karaganda",
    "also": [
      "Qaraghandy",
      "Karagandy"
    ]
  },
  {
    "id": "taraz",
    "kk": "Тараз",
    "ru": "Тараз",
    "en": "Taraz",
    "also": [
      "Джамбул",
      "Жамбыл"
    ]
  },
  {
    "id": "oskemen",
    "kk": "Өскемен",
    "ru": "Усть-Каменогорск",
    "en": "Oskemen",
    "also": [
      "Ust-Kamenogorsk",
      "Оскемен"
    ]
  },
  {
    "id": "pavlodar",
    "kk": "Павлодар",
    "ru": "Павлодар",
    "en": "Pavlodar",
    "also": []
  },
  {
    "id": "semey",
    "kk": "Семей",
    "ru": "Семей",
    "en": "Semey",
    "also": [
      "Семипалатинск",
      "Semipalatinsk"
    ]
  },
  {
    "id": "atyrau",
    "kk": "Атырау",
    "ru": "Атырау",
    "en": "Atyrau",
    "also": [
      "Гурьев"
    ]
  },
  {
    "id": "kostanay",
    "kk": "Қостанай",
    "ru": "Костанай",
    "en": "Kostanay",
    "also": [
      "Кустанай",
      "Qostanay"
    ]
  },
  {
    "id": "kyzylorda",
    "kk": "Қызылорда",
    "ru": "Кызылорда",
    "en": "Kyzylorda",
    "also": [
      "Qyzylorda"
    ]
  },
  {
    "id": "oral",
    "kk": "Орал",
    "ru": "Уральск",
    "en": "Oral",
    "also": [
      "Uralsk"
    ]
  },
  {
    "id": "petropavl",
    "kk": "Петропавл",
    "ru": "Петропавловск",
    "en": "Petropavl",
    "also": [
      "Petropavlovsk"
    ]
  },
  {
    "id": "aktau",
    "kk": "Ақтау",
    "ru": "Актау",
    "en": "Aktau",
    "also": [
      "Шевченко",
      "Aqtau"
    ]
  },
  {
    "id": "zhanaozen",
    "kk": "Жаңаөзен",
    "ru": "Жанаозен",
    "en": "Zhanaozen",
    "also": [
      "Новый Узень",
      "Janaozen"
    ]
  },
  {
    "id": "taldykorgan",
    "kk": "Талдықорған",
    "ru": "Талдыкорган",
    "en": "Taldykorgan",
    "also": [
      "Taldyqorgan"
    ]
  },
  {
    "id": "turkistan",
    "kk": "Түркістан",
    "ru": "Туркестан",
    "en": "Turkistan",
    "also": [
      "Turkestan"
    ]
  },
  {
    "id": "kokshetau",
    "kk": "Көкшетау",
    "ru": "Кокшетау",
    "en": "Kokshetau",
    "also": [
      "Кокчетав"
    ]
  },
  {
    "id": "konaev",
    "kk": "Қонаев",
    "ru": "Конаев",
    "en": "Konaev",
    "also": [
      "Капчагай",
      "Kapchagay",
      "Qonaev"
    ]
  },
  {
    "id": "temirtau",
    "kk": "Теміртау",
    "ru": "Темиртау",
    "en": "Temirtau",
    "also": []
  },
  {
    "id": "ekibastuz",
    "kk": "Екібастұз",
    "ru": "Экибастуз",
    "en": "Ekibastuz",
    "also": []
  },
  {
    "id": "zhezkazgan",
    "kk": "Жезқазған",
    "ru": "Жезказган",
    "en": "Zhezkazgan",
    "also": [
      "Джезказган"
    ]
  },
  {
    "id": "talgar",
    "kk": "Талғар",
    "ru": "Талгар",
    "en": "Talgar",
    "also": []
  },
  {
    "id": "kaskelen",
    "kk": "Қаскелең",
    "ru": "Каскелен",
    "en": "Kaskelen",
    "also": []
  }
] as const

/** Letters that occur in Kazakh but not in Russian Cyrillic. */
export const KAZAKH_LETTERS = 'ӘәҒғҚқҢңӨөҰұҮүҺһІі'
