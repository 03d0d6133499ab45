// The clip page: copy the post text, and share the video file itself where the phone can.
// The share copy is fetched before any tap, so navigator.share() runs inside the tap (browsers
// refuse it after an await on the network). Where files cannot be shared, the plain links stay.

const copyButton = document.querySelector("[data-copy]");
if (copyButton) {
  copyButton.addEventListener("click", async () => {
    const field = document.querySelector(copyButton.dataset.copy);
    const status = document.querySelector(".copied");
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      field.select();
      document.execCommand("copy");
    }
    status.textContent = "Copied.";
    setTimeout(() => { status.textContent = ""; }, 3000);
  });
}

const shareButton = document.querySelector("#share-file");
const saveData = navigator.connection && navigator.connection.saveData;
if (shareButton && navigator.canShare && !saveData) {
  fetch(shareButton.dataset.src)
    .then((response) => (response.ok ? response.blob() : Promise.reject(new Error(response.statusText))))
    .then((blob) => {
      const file = new File([blob], shareButton.dataset.filename, { type: "video/mp4" });
      if (!navigator.canShare({ files: [file] })) return;
      shareButton.hidden = false;
      shareButton.addEventListener("click", async () => {
        try {
          await navigator.share({ files: [file], title: shareButton.dataset.title, text: shareButton.dataset.text });
          fetch(shareButton.dataset.count, { cache: "no-store" });
        } catch {
          // cancelled by the person, or the app refused: the links below still work
        }
      });
    })
    .catch(() => {});
}
