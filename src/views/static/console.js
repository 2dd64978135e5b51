// The volunteer console's niceties. Every action works without this file: it only counts the
// lease down, keeps it alive while the page is open, warns before it ends, adds copy buttons to
// phone numbers, counts the message's characters and stops double submits.
;(() => {
  const HEARTBEAT_MS = 60_000
  const WARN_MS = 2 * 60_000
  // A tab left open and forgotten must not hold a family's request for ever: heartbeats stop
  // after this long without a touch, a key or a return to the page, and the lease runs out.
  const IDLE_MS = 20 * 60_000
  let lastActivity = Date.now()
  for (const type of ['pointerdown', 'keydown', 'touchstart']) {
    document.addEventListener(type, () => {
      lastActivity = Date.now()
    })
  }
  const task = document.getElementById('task')
  const $ = (id) => document.getElementById(id)

  function lease() {
    const expires = $('lease-expires')
    if (!task || !expires) return
    let until = Date.parse(expires.getAttribute('datetime') ?? '')
    let ended = false
    // In the service's zone, named, as the server wrote it ("14:35 (UTC+5)"): never the
    // phone's own zone, which may differ from the one every other page and SMS uses.
    const show = () => {
      const time = new Date(until).toLocaleTimeString(document.documentElement.lang, {
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZone: expires.dataset.timeZone,
      })
      expires.textContent = `${time} (${expires.dataset.zone})`
    }
    const tick = () => {
      const left = until - Date.now()
      const seconds = Math.max(0, Math.ceil(left / 1000))
      $('lease-clock').textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
      $('lease-left').hidden = ended
      $('lease-warning').hidden = ended || left > WARN_MS || left <= 0
      if (left <= 0) end()
    }
    const end = () => {
      ended = true
      $('lease-left').hidden = true
      $('lease-warning').hidden = true
      $('lease-ended').hidden = false
    }
    const beat = async () => {
      if (ended || Date.now() - lastActivity > IDLE_MS) return
      try {
        const res = await fetch(task.dataset.heartbeat, {
          method: 'POST',
          credentials: 'same-origin',
          // The API refuses a cookie's change unless it is same-origin: old browsers send
          // neither Sec-Fetch-Site nor Origin, and this header is the proof they can give.
          headers: { accept: 'application/json', 'x-bailanys-csrf': '1' },
        })
        if (res.ok) {
          until = Date.parse((await res.json()).leaseExpiresAt)
          show()
        } else if (res.status === 401 || res.status === 404 || res.status === 409) {
          end()
        }
      } catch {
        // Offline for a moment: the countdown goes on, and the warning shows if it lasts.
      }
      tick()
    }
    show()
    tick()
    setInterval(tick, 1000)
    setInterval(beat, HEARTBEAT_MS)
    // Back from the phone app: mobile browsers pause timers in the background.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') {
        lastActivity = Date.now()
        beat()
      }
    })
  }

  function copyButtons() {
    if (!task || !navigator.clipboard) return
    for (const link of document.querySelectorAll('a[data-copy]')) {
      const button = document.createElement('button')
      button.type = 'button'
      button.className = 'copy'
      button.textContent = task.dataset.copyLabel
      button.addEventListener('click', async () => {
        await navigator.clipboard.writeText(link.dataset.copy)
        button.textContent = task.dataset.copiedLabel
        setTimeout(() => {
          button.textContent = task.dataset.copyLabel
        }, 2000)
      })
      link.after(' ', button)
    }
  }

  function counter() {
    const text = $('messageToRequester')
    const left = $('message-left')
    if (!text || !left) return
    const max = Number(text.getAttribute('maxlength'))
    const update = () => {
      left.textContent = String(max - text.value.length)
    }
    text.addEventListener('input', update)
    update()
  }

  // One press records one outcome: a second tap while the first is on its way does nothing.
  function once() {
    for (const form of document.querySelectorAll('form[data-once]')) {
      let sent = false
      form.addEventListener('submit', (event) => {
        if (sent) event.preventDefault()
        sent = true
      })
    }
  }

  lease()
  copyButtons()
  counter()
  once()
})()
