/**
 * The phone simulator's styles. A string rather than a .css file: the fake runs from dist/, where
 * the TypeScript build copies no other files. Same colours as the service's pages; nothing spills
 * sideways on a 320 px phone (long texts and numbers wrap).
 */
export const PHONE_CSS = `:root {
  --ink: #1b1f23;
  --muted: #4a5560;
  --line: #8a949e;
  --accent: #0b5cad;
  --bad: #a1161b;
  --received: #eef3f8;
  --sent: #e6f2ea;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  line-height: 1.45;
  color: var(--ink);
  background: #fff;
}
* { box-sizing: border-box; }
body { margin: 0; }
header { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0.5rem 1rem; padding: 0.75rem 1rem; border-bottom: 1px solid var(--line); font-weight: 700; }
nav.lang a { margin-left: 0.5rem; color: var(--accent); font-weight: 400; }
nav.lang a[aria-current] { color: var(--ink); font-weight: 700; text-decoration: none; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 0 0 0.5rem; }
h2 small { font-weight: 400; color: var(--muted); }
a { color: var(--accent); }
section { border: 1px solid var(--line); border-radius: 0.4rem; padding: 0.75rem; margin: 0 0 1rem; }
label { display: block; margin: 0.5rem 0 0.2rem; font-weight: 600; }
input[type="tel"], textarea { width: 100%; font: inherit; padding: 0.5rem; border: 1px solid var(--line); border-radius: 0.3rem; }
button { font: inherit; padding: 0.5rem 1rem; border: 0; border-radius: 0.3rem; background: var(--accent); color: #fff; cursor: pointer; }
.error, .summary, .problem { color: var(--bad); font-weight: 600; }
ol { list-style: none; margin: 0; padding: 0; }
li { margin: 0.5rem 0; padding: 0.5rem 0.75rem; border-radius: 0.6rem; max-width: 90%; }
li.received { background: var(--received); margin-right: auto; }
li.sent { background: var(--sent); margin-left: auto; }
li.problem { border: 1px solid var(--bad); }
li p { margin: 0.25rem 0 0; }
.who { font-weight: 600; }
time { color: var(--muted); font-size: 0.9em; }
.text { white-space: pre-wrap; }
`
