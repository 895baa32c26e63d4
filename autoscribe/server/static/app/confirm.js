// A confirmation in the page's <dialog>: resolves true when confirmed, false on "Go back" or Escape.
export function confirmAction({ title, text, ok }) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  const okButton = document.getElementById("confirm-ok");
  const cancelButton = document.getElementById("confirm-cancel");
  okButton.textContent = ok;
  return new Promise((resolve) => {
    const done = (answer) => {
      okButton.removeEventListener("click", yes);
      cancelButton.removeEventListener("click", no);
      dialog.removeEventListener("cancel", no);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const yes = () => done(true);
    const no = (event) => { if (event) event.preventDefault(); done(false); };
    okButton.addEventListener("click", yes);
    cancelButton.addEventListener("click", no);
    dialog.addEventListener("cancel", no);
    dialog.showModal();
    cancelButton.focus();
  });
}
