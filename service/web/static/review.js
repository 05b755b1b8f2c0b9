// The review page's progressive layer: local times and a countdown, submit without reloading,
// and a live update (over the page's own event stream) when the interrupt is decided elsewhere.
// Without JavaScript the page works as a plain form.
"use strict";

let stopCountdown = () => {};

function show(html) {
  const next = new DOMParser().parseFromString(html, "text/html");
  document.querySelector("main").replaceWith(next.querySelector("main"));
  enhance();
}

function enhance() {
  localTimes(document);
  stopCountdown();
  stopCountdown = countdowns(document, () => location.reload());
  const form = document.querySelector("form.decide");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    if (event.submitter) body.set(event.submitter.name, event.submitter.value);
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    try {
      const answer = await fetch(form.action, { method: "POST", body, credentials: "same-origin" });
      show(await answer.text());
    } catch (error) {
      form.submit();  // the network failed: fall back to a plain form post
    }
  });
}

const page = document.querySelector("[data-interrupt]");
if (page) {
  enhance();
  const stream = new EventSource(`/review/${page.getAttribute("data-interrupt")}/events`);
  for (const status of ["approved", "rejected", "expired", "cancelled"]) {
    stream.addEventListener(status, async () => {
      stream.close();
      if (document.querySelector("form.decide")) {
        show(await (await fetch(location.href, { credentials: "same-origin" })).text());
      }
    });
  }
}
