/**
 * The Parley web app: a chat client on the SDK (client/src) and Preact with
 * signals. Every piece of user text goes into the page as text (JSX
 * children), never as markup; the page runs under a strict
 * Content-Security-Policy (_headers).
 */
import { render } from "preact";
import { applyTheme } from "./ui-state.ts";
import { App } from "./ui/App.tsx";

applyTheme();
render(<App />, document.getElementById("root")!);
