// The collector sends the household its receipt link: the phone's share sheet
// (SMS, Zalo…) where there is one, otherwise the link is copied.
document.querySelectorAll("[data-share-url]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const url = button.dataset.shareUrl;
    if (navigator.share) {
      try { await navigator.share({ title: button.dataset.shareTitle, url }); } catch (e) { /* closed */ }
      return;
    }
    const field = document.querySelector(".share-link");
    field.select();
    try { await navigator.clipboard.writeText(url); } catch (e) { document.execCommand("copy"); }
    button.textContent = button.dataset.copied;
  });
});
