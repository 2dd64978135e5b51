/** English texts. Every key here exists in kk.ts and ru.ts too (a test checks). ICU MessageFormat. */
export const en = {
  // SMS conversation (replies to the requester)
  'sms.welcome':
    'Bailanys: a volunteer will call your relative for you. Send their phone number, e.g. 8 701 123 45 67. HELP for help.',
  'sms.askPhone': "Send your relative's phone number, e.g. 8 701 123 45 67.",
  'sms.askName': "What is your relative's name?",
  'sms.askCity': 'Which city or village are they in?',
  'sms.askNeeds': 'Any urgent needs? Reply with numbers: 1 elderly, 2 medical, 3 children, 4 disability, 0 none.',
  'sms.badPhone': 'That is not a phone number we can call. Send it like 8 701 123 45 67.',
  'sms.badText': 'Please send a shorter answer, up to {max} characters, letters only.',
  'sms.badNeeds': 'Reply with numbers from 0 to 4, e.g. 1 2, or 0 if none.',
  'sms.tooLong': 'Your message is too long. Please send a short answer.',
  'sms.empty': 'We got an empty message.',
  'sms.created':
    'Request {reference} accepted. A volunteer will call and we will text you the result. Data is kept {days, plural, one {# day} other {# days}}.',
  'sms.alreadyOpen': 'You already asked about this number: request {reference}. We will text you the result.',
  'sms.restart': 'Your unfinished request expired, so we start again.',
  'sms.statusNone': 'You have no open requests. Send a phone number to start one.',
  'sms.statusLine': '{reference}: {state}',
  'sms.cancelled': 'Request {reference} is cancelled.',
  'sms.cancelWhich': 'You have several requests. Send CANCEL and the code, e.g. CANCEL {reference}.',
  'sms.cancelNone': 'You have no open request to cancel.',
  'sms.help':
    'Bailanys: volunteers call your relatives. Send a phone number to start. STATUS: your requests. CANCEL code. LANG KK/RU/EN. STOP: no more SMS.',
  'sms.language': 'Language: English.',
  'sms.stopped': 'You will get no more messages from Bailanys. Send START to resume.',
  'sms.started': 'Messages resumed. Send a phone number to ask for a check-in call.',
  'sms.limited': 'Too many requests from this number. Please try again later.',
  'sms.unavailable': 'Sorry, we could not take your message just now. Please send it again in a few minutes.',
  // Request states in words
  'state.received': 'waiting for a volunteer',
  'state.queued': 'waiting for a volunteer',
  'state.claimed': 'a volunteer is calling',
  'state.reached_safe': 'reached, safe',
  'state.reached_needs_help': 'reached, needs help',
  'state.wrong_number': 'wrong number',
  'state.unreachable': 'could not be reached',
  'state.cancelled': 'cancelled',
  'state.duplicate': 'joined another request',
  // Notifications to the requester (SMS, and read aloud on a call)
  'notify.received': 'Bailanys: request {reference} received. A volunteer will call your relative; we will tell you the result.',
  'notify.reached_safe': 'Bailanys {reference}: a volunteer reached your relative. They are safe.',
  'notify.reached_needs_help': 'Bailanys {reference}: a volunteer reached your relative. They need help; volunteers are on it.',
  'notify.wrong_number': 'Bailanys {reference}: the number you gave is wrong. Please check it and send a new request.',
  'notify.unreachable': 'Bailanys {reference}: we tried several times but could not reach your relative.',
  'notify.message': '{reference}: {message}',
  'notify.merged':
    'Bailanys: your request now continues as {reference}, with others who asked about the same person. We will tell you the result.',
  'notify.cancelled': 'Bailanys {reference}: your request is cancelled.',
  // Voice calls
  'voice.pressOne': 'Press 1 to hear this again.',
  'voice.connecting': 'Bailanys: connecting you to the family. Please wait.',
  'voice.goodbye': 'Goodbye.',
} as const

export type MessageKey = keyof typeof en
