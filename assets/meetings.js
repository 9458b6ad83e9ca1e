// The meeting page's player (ui/pages/meetings): a click on a transcript line (an element with
// data-seek, in seconds), or Enter on it, plays the recording from there; a link to the page with
// ?t=SECONDS (a cited source in Knowledge or Chat) starts it there. Only this page can move an
// <audio> element, and the CSP forbids the server sending script, hence this file.
(function () {
  function seek(at, play) {
    const player = document.getElementById("meeting-audio");
    if (!player || !Number.isFinite(at)) return;
    player.currentTime = at;
    if (play) player.play().catch(() => { /* the browser may want a click on the player itself first */ });
  }

  function fromLine(event) {
    const line = event.target.closest && event.target.closest("[data-seek]");
    if (line) seek(parseFloat(line.dataset.seek), true);
  }

  document.addEventListener("click", fromLine);
  document.addEventListener("keydown", (event) => { if (event.key === "Enter") fromLine(event); });

  // Media events do not bubble: listened for on the way down. Once per page visit.
  let started = null;
  document.addEventListener("loadedmetadata", (event) => {
    if (event.target.id !== "meeting-audio" || started === location.href) return;
    started = location.href;
    const t = parseFloat(new URLSearchParams(location.search).get("t"));
    if (Number.isFinite(t) && t > 0) seek(t, false);
  }, true);
})();
