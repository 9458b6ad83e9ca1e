// The meeting page's player (ui/pages/meetings): a click on a transcript line (an element with
// data-seek, in seconds) plays the recording from there. Only this page can move an <audio>
// element, and the CSP forbids the server sending script, hence this file.
(function () {
  document.addEventListener("click", (event) => {
    const line = event.target.closest && event.target.closest("[data-seek]");
    const player = document.getElementById("meeting-audio");
    if (!line || !player) return;
    const at = parseFloat(line.dataset.seek);
    if (!Number.isFinite(at)) return;
    player.currentTime = at;
    player.play().catch(() => { /* the browser may want a click on the player itself first */ });
  });
})();
