// Every message of the app by language: `static/i18n/<lang>/<area>.js` files merged into one
// catalog per language. Each area has the same file, with the same keys, in every language.
// Plain data, so the browser tests (Node) read the same messages the page shows.

import enApp from "./en/app.js";
import ruApp from "./ru/app.js";
import enSettings from "./en/settings.js";
import ruSettings from "./ru/settings.js";
import enAccess from "./en/access.js";
import ruAccess from "./ru/access.js";
import enForms from "./en/forms.js";
import ruForms from "./ru/forms.js";

export const CATALOGS = {
  en: { ...enApp, ...enSettings, ...enAccess, ...enForms },
  ru: { ...ruApp, ...ruSettings, ...ruAccess, ...ruForms },
};
