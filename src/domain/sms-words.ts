/**
 * Words of a first SMS that are not the relative's name, in Kazakh, Russian and English (and
 * Kazakh typed in Latin letters): greetings and requests, relations, urgent needs, address and
 * place markers. Lower case, "ё" written "е". Read by sms-reading.ts.
 */
import { skeleton } from './city.js'
import type { Flags } from './priority.js'

const words = (text: string) => new Set(text.split(/\s+/).filter(Boolean))

/** Greetings, requests, pronouns and small words: dropped wherever they stand. */
export const FILLERS = words(`
  здравствуйте здраствуйте здравствуй здрасте здрасьте привет приветствую алло ало добрый доброе доброго день утро вечер
  пожалуйста пожалуста пожалуйсто пжл плиз прошу просим помогите помочь помощь нужна нужно надо срочно очень проверьте
  проверить проверте проверь узнайте узнать позвоните позвонить позвонили звоните дозвониться дозвонится дозвонились
  можете можно могли бы сможете спасибо заранее благодарю я мы не могу можем связаться связи связь нет есть номер номера
  тел телефон телефона телефону сот сотовый моб мобильный мой моя мою моего моей мои моих мне нам наш наша нашу нашего
  нашей наши наших ее его их она он они ей ему им зовут звать имя фамилия это вот живет проживает живут находится
  находятся адрес или либо и а но с со у в во из на к по за до для от о об про как где что чтобы ли там тут здесь уже
  давно дня дней два три несколько ничего отвечает отвечают берет трубку абонент недоступен доступен выключен слышно
  беспокоюсь беспокоимся волнуюсь волнуемся переживаю переживаем пропала пропал хочу хотим будет если люди добрые новости
  новостей информации информацию жива живы здорова здоров все хорошо нормально порядке случилось кто-нибудь кто родная
  родной родную родного родных двоюродный двоюродная двоюродную двоюродного старший старшая старшую старшего младший
  младшая младшую младшего любимая дорогая проведать сообщите сообщить скажите передайте
  сәлеметсіз сәлеметсізбе саламатсыз саламатсызба сәлем салем салам ассалаумағалейкум ассалаумаликум бе ба ме ма өтінем
  өтінемін өтініш өтінеміз көмектесіңіз көмектесіңізші көмек тексеріңіз тексеріңізші тексеріп тексеру қоңырау шалыңыз
  шалыңызшы шалып хабарласыңыз хабарласыңызшы хабарласа хабарласу алмай алмадым алмаймын алмаймыз біліңіз біліңізші
  білу жауап бермейді бермей алмайды тұрады тұратын нөмір нөмірі нөмірім нөміріне телефоны менің біздің оның аты атым
  есімі есімім деген деп және мен рахмет рақмет алдын ала кешіріңіз жедел шұғыл қазір әлі жоқ бар екен қалай жағдайы
  жағдайын қай жерде керек үшін туралы мекенжайы мекенжай ғой жатырмын жатырмыз жұмыста беріңізші беріңіз оқиды
  одна один него нее меня город имя адрес домашний рабочий скину позже студентка студент пенсии
  salem salam salemetsiz salemetsizbe otinem komektesiniz tekseriniz tekserinizshi tekserip berinizshi habarlasynyz
  habarlasa almai zhatyrmyn jatyrmyn qonyrau nomer nomeri rahmet raqmet turady aty atyn
  hello hi hey dear good morning afternoon evening please pls plz kindly help urgent urgently check checking on call
  calling reach could can you would we i i'm im am is are was my our her his their she he they them him name named
  called number phone tel mobile cell lives living live staying stays in at from the a an and or with to for of about
  not answering answer worried worry thanks thank thx no news since days there it's its this that me us who how
`)

/** Before a Russian place in a case form ("в Уральске", "из Астаны"), or before any place. */
export const PLACE_PREPOSITIONS = words('в во из с со до под около возле у in at from near г город городе города')
/** Words that say the next place is the requester's own, not the relative's. */
export const SELF = words("я i i'm im меня")
/** A village or district named next to these is a place not in the list ("с. Узынагаш", "Шелек ауылы"). */
export const SETTLEMENT_BEFORE = words('село селе села пос поселок поселке посёлок пгт аул ауыл village')
export const SETTLEMENT_AFTER = words('ауылы ауылында ауылынан аулы village район районе ауданы ауданында district')
/** Abbreviations that are settlement markers only with their dot ("с.", "п."): "с" alone is "with". */
export const SETTLEMENT_ABBREVIATIONS = words('с п а')

/** Before a street, microdistrict, house or flat ("ул. Абая 15", "мкр Аксай-4", "кв 5"). */
export const ADDRESS_BEFORE = words(`
  ул улица улице улицы пр пр-т просп проспект мкр мкрн микрорайон микрорайоне м-н мкр-н д дом доме кв квартира
  квартире корпус корп блок подъезд этаж жк пер переулок трасса снт дачи ш/а шағынаудан шағынауданы ықшамаудан үй
  пәтер пәт общежитие общага st str apt apartment flat house building bldg block mkr microdistrict dormitory
`)
/** After a street's name ("Абай көшесі 15", "Abay street 15"). */
export const ADDRESS_AFTER = words('көшесі көшесінде көш даңғылы даңғылында street avenue ave road rd lane мкр ш/а шағынауданы')

/** Age words after a number ("85 лет", "80 жаста", "90 years"). */
export const AGE_WORDS = words('лет года год жаста жас жастағы жаста years year yo летняя летний')
/** After a year of birth ("1940 г.р.", "1945 жылы туған"); "born" comes before it. */
export const BIRTH_WORDS = words('г гр р года рождения жылы ж туған born')
/** Words before an age ("ему 80", "she is 85", "over 80", "жасы 75"). */
export const AGE_BEFORE = words('ему ей is aged age over старше возраст жасы асқан')
/** Time words after a number ("2 дня", "3 күн"): neither a house number nor an age. */
export const TIME_WORDS = words(
  'дня дней день суток часа часов час недели неделю days day hours hour weeks күн күннен күндей сағат апта',
)
/** From this age a relative counts as elderly; below the other, a child. */
export const ELDERLY_AGE = 65
export const CHILD_AGE = 14

/** Words that mark an urgent need; a word matches when it starts with one of these. */
export const FLAG_STEMS: Record<keyof Flags, string[]> = {
  elderly: 'пожил престарел старень старушк старик пенсионер преклонн қарт қартай егде кәрі elderly senior pensioner'.split(' '),
  medical: (
    'болеет болен больна больной больная болезн болит диабет инсулин сердц сердеч давлен гипертон онколог лекарств ' +
    'таблет операци инсульт инфаркт астм беремен диализ кислород лечени больниц госпитал температур хроническ эпилеп ' +
    'медпомощ врач укол ауру ауырады ауырып науқас дәрі жүрек қысым жүкті емдел sick diabet insulin heart medic ' +
    'pregnan dialysis oxygen cancer surgery hospital pills asthma illness'
  ).split(' '),
  children: (
    'дети детьми детей детям детки деток ребенок ребенком ребенка малыш младен грудн внуками внуки балалар баламен ' +
    'балалары сәби нәресте child kids baby babies infant toddler grandchildren grandkids'
  ).split(' '),
  disability:
    'инвалид колясоч коляск лежач слеп незряч глух парализ мүгедек арбаш арба disab wheelchair blind deaf bedridden paraly'.split(
      ' ',
    ),
}
/** Whole words and phrases for needs that a stem would over-match. */
export const FLAG_PHRASES: [string, keyof Flags][] = [
  ['старая', 'elderly'],
  ['старый', 'elderly'],
  ['old', 'elderly'],
  ['kid', 'children'],
  ['aged', 'elderly'],
  ['рак', 'medical'],
  ['ждет ребенка', 'medical'],
  ['expecting a baby', 'medical'],
  ['ill', 'medical'],
  ['stroke', 'medical'],
  ['не ходит', 'disability'],
  ['не встает', 'disability'],
  ['не видит', 'disability'],
  ['жүре алмайды', 'disability'],
  ["can't walk", 'disability'],
  ['cannot walk', 'disability'],
]

type Relation = { nominative: string; female: boolean; latin: boolean }
const RELATIONS = new Map<string, Relation>()
function relation(form: string, nominative: string, female: boolean, latin = false) {
  const key = (latin ? 'l:' : 'c:') + skeleton(form)
  if (!RELATIONS.has(key)) RELATIONS.set(key, { nominative, female, latin })
}

// Russian: the nominative and its case forms (the endings follow the last letter).
const RU_FEMALE =
  'мама мамочка мамуля бабушка бабуля баба сестра сестренка дочка тетя тетушка внучка племянница подруга теща сноха невестка жена родственница'
const RU_MALE =
  'папа папочка дедушка дедуля дядя брат братишка сын внук дед племянник друг свекор тесть зять муж отец родственник'
for (const [list, female] of [
  [RU_FEMALE, true],
  [RU_MALE, false],
] as const) {
  for (const lemma of list.split(' ')) {
    const stem = lemma.slice(0, -1)
    const last = lemma.at(-1)
    const endings = last === 'а' ? ['у', 'ы', 'и', 'е', 'ой'] : last === 'я' ? ['ю', 'и', 'е', 'ей'] : []
    const forms = [lemma, ...endings.map((e) => stem + e), ...(endings.length ? [] : ['а', 'у', 'ом', 'е'].map((e) => lemma + e))]
    for (const form of forms) {
      relation(form, lemma, female)
      // Russian typed in Latin letters ("dedushka", "mame"); "drug" stays an English word.
      if (lemma !== 'друг') relation(skeleton(form), lemma, female, true)
    }
  }
}
for (const [form, lemma, female] of [
  ['мать матери матерью', 'мать', true],
  ['дочь дочери дочерью', 'дочь', true],
  ['свекровь свекрови свекровью', 'свекровь', true],
  ['отца отцу отцом отце', 'отец', false],
  ['свекра свекру', 'свекор', false],
  ['тестя тестю', 'тесть', false],
  ['зятя зятю', 'зять', false],
  ['родители родителей родителям родителями', 'родители', false],
] as const)
  for (const f of form.split(' ')) relation(f, lemma, female)

// Kazakh: a stem, a possessive ("анам" my mother) and a case ("анамды", "анама"). The
// nominative kept is stem + possessive, as the requester wrote it.
const KK_FEMALE = 'ана әже апа әпке апке апай сіңлі қарындас жеңге келін шеше ене тәте мама нағашы'
const KK_MALE = 'әке ата аға ағай іні күйеу немере жиен бауыр папа ата-ана'
const KK_OWNED = 'ұл қыз бала әйел жұбай'
// Possessives, and the endearments said like them ("анашым", "әжекем"); not "-жан": "Бауыржан" is a name.
const POSSESSIVE = ['м', 'ым', 'ім', 'сы', 'сі', 'ы', 'і', 'мыз', 'міз', 'шым', 'шім', 'ке', 'кем']
const KK_CASES =
  '- ды ді ны ні ты ті ға ге қа ке а е на не ның нің дың дің тың тің да де та те нда нде дан ден тан тен нан нен мен бен пен'.split(
    ' ',
  )
for (const [list, female] of [
  [KK_FEMALE, true],
  [KK_MALE, false],
  [KK_OWNED, false],
] as const) {
  for (const stem of list.split(' ')) {
    for (const owner of [...(list === KK_OWNED ? [] : ['']), ...POSSESSIVE]) {
      for (const ending of KK_CASES) {
        const nominative = stem + owner
        const form = nominative + (ending === '-' ? '' : ending)
        relation(form, nominative, female)
        relation(form, nominative, female, true)
      }
    }
  }
}
// English, and what Latin-script Kazakh adds.
for (const [list, female] of [
  [
    'mother mom mum mommy mummy mama grandmother grandma granny nana sister daughter wife aunt auntie niece granddaughter mother-in-law',
    true,
  ],
  [
    'father dad daddy papa grandfather grandpa granddad brother son husband uncle nephew grandson cousin friend parents grandparents father-in-law',
    false,
  ],
] as const)
  for (const w of list.split(' ')) relation(w, w, female, true)

/** The relation a word names, read with its script: "drug" is no "друг". */
export function relationOf(word: string): Relation | undefined {
  const latin = !/\p{Script=Cyrillic}/u.test(word)
  return RELATIONS.get((latin ? 'l:' : 'c:') + skeleton(word.replace(/['’]s$/i, '')))
}
