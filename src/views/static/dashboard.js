// The coordinator dashboard, live: listens to the backlog stream (the session cookie
// authenticates it) and updates the numbers and tables in place. Without JavaScript the page
// is a snapshot; a reload shows the present.
;(() => {
  const live = document.getElementById('live')
  if (!window.EventSource || !live) return
  const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj)
  const source = new EventSource('/api/v1/backlog/stream')
  source.addEventListener('backlog', (event) => {
    const summary = JSON.parse(event.data)
    for (const el of document.querySelectorAll('[data-k]')) {
      const value = get(summary, el.dataset.k)
      if (value === undefined) continue
      el.textContent = String(el.dataset.unit === 'min' ? Math.round(value / 60) : value)
    }
    for (const body of document.querySelectorAll('[data-group]')) {
      const rows = Object.entries(get(summary, body.dataset.group) || {})
      body.replaceChildren(
        ...rows.map(([key, n]) => {
          const tr = document.createElement('tr')
          for (const text of [key, String(n)]) {
            const td = document.createElement('td')
            td.textContent = text
            tr.append(td)
          }
          return tr
        }),
      )
    }
    live.textContent = `${live.dataset.liveLabel} ${new Date().toLocaleTimeString()}`
  })
})()
