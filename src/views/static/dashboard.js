// The coordinator dashboard, live: listens to the backlog stream (the session cookie
// authenticates it). Counts change in place at once; the parts that need words (waits with
// their plurals, place names, the chart) are rendered by the server and fetched again when the
// stream says something changed, each at most once per its data-every seconds. Without
// JavaScript the page is a snapshot; a reload shows the present.
;(() => {
  const live = document.getElementById('live')
  if (!window.EventSource || !window.fetch || !live) return
  const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj)
  const clock = new Intl.DateTimeFormat(live.dataset.lang, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZone: live.dataset.timeZone,
  })
  const parts = Array.from(document.querySelectorAll('[data-live]'), (el) => ({
    el,
    every: Number(el.dataset.every || 60) * 1000,
    last: Date.now(),
    timer: 0,
  }))

  async function refresh(part) {
    part.timer = 0
    part.last = Date.now()
    try {
      const response = await fetch(part.el.dataset.live, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      // A session that ended sends the login page: keep what is shown rather than that.
      if (!response.ok || response.redirected) return
      const template = document.createElement('template')
      template.innerHTML = await response.text()
      part.el.replaceChildren(template.content)
    } catch {
      // Offline for a moment: the next change tries again.
    }
  }
  const schedule = (part) => {
    if (!part.timer) part.timer = setTimeout(() => refresh(part), Math.max(0, part.last + part.every - Date.now()))
  }

  const source = new EventSource('/api/v1/backlog/stream')
  source.addEventListener('backlog', (event) => {
    const summary = JSON.parse(event.data)
    for (const el of document.querySelectorAll('[data-k]')) {
      const value = get(summary, el.dataset.k)
      // A group's row that left the summary (nobody waits there now) reads 0 until the next fetch.
      if (value === undefined && !('zero' in el.dataset)) continue
      el.textContent = String(value ?? 0)
    }
    for (const part of parts) schedule(part)
    live.textContent = `${live.dataset.liveLabel} ${clock.format(new Date())} (${live.dataset.zone})`
  })
})()
