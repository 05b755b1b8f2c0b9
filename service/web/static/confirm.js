// The loop confirm page: its deadline in the viewer's time zone (without JavaScript it reads in UTC).
"use strict";

document.addEventListener("DOMContentLoaded", () => localTimes(document));
