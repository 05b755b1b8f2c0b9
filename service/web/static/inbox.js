// The inbox's live layer: the list is replaced whenever the server's stream sends a new one
// (a request arrived, was decided elsewhere, or expired). Without JavaScript, reload to refresh.
"use strict";

const header = document.querySelector("[data-inbox-events]");
const list = document.getElementById("inbox");
let stop = () => {};

function enhance() {
  localTimes(list);
  stop();
  stop = countdowns(list);
}

if (header && list) {
  enhance();
  const stream = new EventSource(header.getAttribute("data-inbox-events"));
  stream.addEventListener("inbox", (event) => {
    const data = JSON.parse(event.data);
    const fresh = new DOMParser().parseFromString(data.html, "text/html");
    list.replaceChildren(...fresh.body.childNodes);
    document.title = `${data.count ? "(" + data.count + ") " : ""}${document.title.replace(/^\(\d+\) /, "")}`;
    enhance();
  });
}
