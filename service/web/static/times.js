// Shared by the pages: times in the viewer's time zone, and live countdowns to deadlines.
"use strict";

function localTimes(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) el.textContent = when.toLocaleString();
  }
}

// Every [data-countdown] under root (its value, or else its <time>'s, is the deadline) counts down
// each second; onZero(el) runs once when one ends.
function countdowns(root, onZero) {
  const els = [...root.querySelectorAll("[data-countdown]")];
  if (!els.length) return () => {};
  for (const el of els) {  // the deadline moves to the attribute before the first tick replaces the <time>
    if (!el.dataset.countdown) el.dataset.countdown = el.querySelector("time").getAttribute("datetime");
  }
  const dues = els.map((el) => new Date(el.dataset.countdown));
  const tick = () => {
    els.forEach((el, i) => {
      const left = Math.max(0, Math.round((dues[i] - Date.now()) / 1000));
      const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = left ? `expires in ${h ? h + "h " : ""}${m}m ${s}s` : "expired";
      if (!left && !el.dataset.done) { el.dataset.done = "1"; if (onZero) onZero(el); }
    });
  };
  const timer = setInterval(tick, 1000);
  tick();
  return () => clearInterval(timer);
}
