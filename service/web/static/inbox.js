// The inbox's live layer: the server's stream sends the whole list once (unless the page already
// shows it), then only what changed: lines to remove, lines to add and where, the new count.
// A line whose answer form is open is kept as it is, so what the reviewer is typing survives.
// Without JavaScript, reload to refresh.
"use strict";

const header = document.querySelector("[data-inbox-events]");
const list = document.getElementById("inbox");
let stop = () => {};

function enhance() {
  localTimes(list);
  stop();
  stop = countdowns(list);
}

function parsed(html) {
  return new DOMParser().parseFromString(html, "text/html").body;
}

function applyChanges(data) {
  list.querySelector("[data-inbox-head]").replaceChildren(...parsed(data.head).childNodes);
  const items = list.querySelector("[data-inbox-items]");
  const lines = new Map([...items.children].map((li) => [li.dataset.id, li]));
  for (const id of data.remove) {
    lines.get(id)?.remove();
    lines.delete(id);
  }
  for (const added of data.add) {  // last first: each one's neighbour is already in place
    const li = parsed(`<ul>${added.html}</ul>`).querySelector("li");
    items.insertBefore(li, (added.before && lines.get(added.before)) || null);
    lines.set(added.id, li);
  }
}

function replaceList(html) {
  const open = new Map([...list.querySelectorAll("li[data-id]")]
    .filter((li) => li.querySelector("details[open]")).map((li) => [li.dataset.id, li]));
  const fresh = parsed(html);
  for (const li of fresh.querySelectorAll("li[data-id]")) {
    const kept = open.get(li.dataset.id);
    if (kept) li.replaceWith(kept);
  }
  list.replaceChildren(...fresh.childNodes);
}

if (header && list) {
  enhance();
  const stream = new EventSource(header.getAttribute("data-inbox-events"));
  stream.addEventListener("inbox", (event) => {
    const data = JSON.parse(event.data);
    if (data.html !== undefined) replaceList(data.html);
    else applyChanges(data);
    document.title = `${data.count ? "(" + data.count + ") " : ""}${document.title.replace(/^\(\d+\) /, "")}`;
    enhance();
  });
}
