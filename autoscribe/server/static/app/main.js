// The reading room's entry: the session (from a reroute link's hand-over, or pasted), the header,
// and the routes: #/sign-in, #/worklist, #/study/<id>.
import { disconnect, request } from "./api.js";
import { h, replace } from "./dom.js";
import { person } from "./format.js";
import { ME } from "./queries.js";
import { current, forget, keep, takeHandOver } from "./session.js";
import { studyView } from "./study.js";
import { worklistView } from "./worklist.js";

const main = document.getElementById("main");
const who = document.getElementById("who");
const connection = document.getElementById("connection");
const signOut = document.getElementById("sign-out");
const CONNECTION_TEXT = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", stopped: "Not live" };
const choice = { assignee: "", status: "", severity: "" }; // the worklist's filters, for this page's life
let me = null;
let leave = () => {};

function setConnection(state) {
  connection.textContent = CONNECTION_TEXT[state] || "";
  connection.dataset.state = state;
}

function signInView(reason) {
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "off", spellcheck: "false",
                             required: true, "aria-describedby": "token-help" });
  const problem = h("p", { class: "problem", role: "alert" }, reason || "");
  const form = h("form", { class: "sign-in", id: "sign-in" },
    h("label", { for: "token" }, "Session token"),
    input,
    h("p", { id: "token-help", class: "help" },
      "A link from your clinic's system opens a study here by itself. Otherwise paste the session token " +
      "(ust_…) your clinic's system or administrator made for you (createUserSession). It is kept in this tab only."),
    h("button", { type: "submit" }, "Sign in"),
    problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    disconnect();
    keep(input.value.trim());
    me = null;
    try {
      await whoAmI();
      if (!me.user) {
        // An API key is the clinic's system's, not a person's: it is not kept in a browser.
        forget();
        me = null;
        who.textContent = "";
        signOut.hidden = true;
        problem.textContent = "This is an API key, which belongs to the clinic's system: sign in with a user session token (ust_…).";
        return;
      }
      window.location.hash = "#/worklist";
    } catch (error) {
      forget();
      problem.textContent = error.message;
    }
  });
  replace(main, h("h1", {}, "Sign in to the reading room"), form);
  input.focus();
}

async function whoAmI() {
  if (me === null) {
    me = (await request(ME)).me;
    const readOnly = current() && current().readOnly ? " (read-only)" : "";
    who.textContent = `${me.user ? person(me.user) : "API key"}, ${me.clinicName}${readOnly}`;
    signOut.hidden = false;
  }
  return me;
}

async function route() {
  leave();
  leave = () => {};
  setConnection("");
  const session = current();
  const hash = window.location.hash || "#/worklist";
  if (!session || hash.startsWith("#/sign-in")) {
    who.textContent = "";
    signOut.hidden = true;
    signInView();
    return;
  }
  try {
    await whoAmI();
  } catch (error) {
    if (error.code === "UNAUTHENTICATED") {
      forget();
      signInView(error.message);
      return;
    }
    replace(main, h("h1", {}, "The reading room"), h("p", { class: "problem", role: "alert" }, error.message));
    return;
  }
  const study = hash.match(/^#\/study\/([A-Za-z0-9_]+)$/);
  leave = study
    ? studyView(main, { me, session, id: study[1], setConnection })
    : worklistView(main, { me, setConnection, choice });
  main.focus({ preventScroll: true });
}

signOut.addEventListener("click", () => {
  forget();
  disconnect();
  me = null;
  window.location.hash = "#/sign-in";
});
window.addEventListener("autoscribe:signed-out", () => {
  forget();
  me = null;
});
window.addEventListener("hashchange", route);
takeHandOver();
route();
