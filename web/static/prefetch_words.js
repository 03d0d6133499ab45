// Start fetching the transcript while the page's modules load (recording.js picks up the promise).
// A file of its own, not an inline script: the Content-Security-Policy allows scripts from 'self' only.
{
  const wordsUrl = document.currentScript.dataset.wordsUrl;
  window.__deskWords = fetch(wordsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
}
