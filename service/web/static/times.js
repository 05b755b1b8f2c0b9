// Shared by the pages: times in the viewer's time zone, and live countdowns to deadlines.
"use strict";

function localTimes(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) el.textContent = when.toLocaleString();
  }
}

// Every [data-countdown] under root counts down each second; onZero(el) runs once when one ends.
function countdowns(root, onZero) {
  const els = [...root.querySelectorAll("[data-countdown]")];
  if (!els.length) return () => {};
  const tick = () => {
    for (const el of els) {
      const left = Math.max(0, Math.round((new Date(el.getAttribute("data-countdown")) - Date.now()) / 1000));
      const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = left ? `expires in ${h ? h + "h " : ""}${m}m ${s}s` : "expired";
      if (!left && !el.dataset.done) { el.dataset.done = "1"; if (onZero) onZero(el); }
    }
  };
  const timer = setInterval(tick, 1000);
  tick();
  return () => clearInterval(timer);
}
