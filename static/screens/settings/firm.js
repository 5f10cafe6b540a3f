// The firm's own settings (`/api/settings`): its name, its time zone (reports count days in
// it) and the country phones typed without `+` are read in.

import { api } from "../../api.js";
import { t } from "../../i18n/i18n.js";
import { page, editForm } from "./kit.js";

export default async function firm(ctx) {
  const settings = await api("/api/settings");
  const fields = [
    { name: "firm_name", label: t("firm.name") },
    { name: "time_zone", label: t("users.time_zone"), required: true, hint: t("users.time_zone_hint") },
    { name: "default_country", label: t("firm.default_country"), required: true, hint: t("firm.default_country_hint") },
  ];
  const form = editForm(fields, settings, (body) => api("/api/settings", { method: "PATCH", body }), () => ctx.rerender());
  return page(t("settings.section.firm"), null, form);
}
