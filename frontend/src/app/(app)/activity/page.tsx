"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import type { AuditEvent } from "@/client";
import { getTenantOptions, listAuditEventsInfiniteOptions, listMembersOptions } from "@/client/@tanstack/react-query.gen";
import { Alert, Button, Card, Loading, PageHeader, SelectField, TextField } from "@/components/ui";
import { describeError } from "@/lib/errors";
import { formatTimestamp } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { byCursor } from "@/lib/queries";
import { useTitle } from "@/lib/use-title";

const ACTIONS = ["create", "update", "delete", "sign_in", "sign_in_failed", "logout", "password_change", "role_change", "deactivate", "reactivate", "remove"];
const ENTITIES = ["consumption_records", "meters", "meter_tariffs", "meter_readings", "meter_top_ups", "budgets", "users", "invitations", "tenants"];

export default function ActivityPage() {
  const { t, intl } = useI18n();
  useTitle(t("activity.title"));
  const [action, setAction] = useState("");
  const [entity, setEntity] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");

  const tenant = useQuery(getTenantOptions());
  const members = useQuery({
    ...listMembersOptions({ query: { limit: 100 } }),
    // People join from other browsers (accepting an invitation): the names are read afresh here.
    refetchOnMount: "always",
  });
  const events = useInfiniteQuery({
    ...listAuditEventsInfiniteOptions({
      query: {
        limit: 50,
        ...(action ? { action } : {}),
        ...(entity ? { entity_type: entity } : {}),
        ...(from ? { from: new Date(`${from}T00:00:00`).toISOString() } : {}),
        ...(to ? { to: new Date(`${to}T23:59:59.999`).toISOString() } : {}),
      },
    }),
    ...byCursor,
  });

  const names = new Map((members.data?.items ?? []).map((member) => [member.id, member.username]));
  const actor = (event: AuditEvent) => (event.actor_user_id ? (names.get(event.actor_user_id) ?? t("activity.someone")) : t("activity.system"));

  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <PageHeader title={t("activity.title")} subtitle={tenant.data ? t("activity.subtitle", { tenant: tenant.data.name }) : undefined} />
      <Card>
        <form className="grid gap-4 sm:grid-cols-4" onSubmit={(event) => event.preventDefault()}>
          <SelectField label={t("activity.action")} value={action} onChange={(event) => setAction(event.target.value)}>
            <option value="">{t("activity.any")}</option>
            {ACTIONS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </SelectField>
          <SelectField label={t("activity.entity")} value={entity} onChange={(event) => setEntity(event.target.value)}>
            <option value="">{t("activity.any")}</option>
            {ENTITIES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </SelectField>
          <TextField label={t("activity.from")} type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
          <TextField label={t("activity.to")} type="date" value={to} onChange={(event) => setTo(event.target.value)} />
        </form>
      </Card>
      {events.isPending && <Loading label={t("common.loading")} />}
      {events.isError && <Alert>{describeError(events.error, t)}</Alert>}
      {events.data && events.data.pages[0]?.items.length === 0 && <Alert tone="info">{t("activity.empty")}</Alert>}
      {events.data && (
        <ol className="space-y-3" aria-label={t("activity.title")}>
          {events.data.pages
            .flatMap((page) => page.items)
            .map((event) => (
              <li key={event.id}>
                <Card>
                  <p className="text-sm">
                    <span className="font-semibold">{actor(event)}</span> · <span className="font-mono">{event.action}</span> ·{" "}
                    <span className="font-mono">{event.entity_type}</span>
                  </p>
                  <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
                    <time dateTime={event.occurred_at}>{formatTimestamp(event.occurred_at, intl)}</time>
                    {event.client_ip && ` · ${t("activity.details", { ip: event.client_ip, agent: event.user_agent ?? "—" })}`}
                  </p>
                  {event.changes.length > 0 && (
                    // A creation or deletion lists every field: folded; an edit's few changes show open.
                    <details className="mt-3" open={event.action !== "create" && event.action !== "delete"}>
                      <summary className="cursor-pointer text-xs font-medium text-slate-700 dark:text-slate-300">
                        {t("activity.changes", { count: event.changes.length })}
                      </summary>
                      <div className="mt-2 overflow-x-auto">
                        <table className="min-w-full text-xs">
                          <caption className="sr-only">{`${event.action} ${event.entity_type}`}</caption>
                          <thead>
                            <tr className="text-left text-slate-600 dark:text-slate-400">
                              <th scope="col" className="pr-3 font-medium">
                                {t("activity.field")}
                              </th>
                              <th scope="col" className="pr-3 font-medium">
                                {t("activity.before")}
                              </th>
                              <th scope="col" className="font-medium">
                                {t("activity.after")}
                              </th>
                            </tr>
                          </thead>
                          <tbody>
                            {event.changes.map((change) => (
                              <tr key={change.field} className="align-top">
                                <th scope="row" className="pr-3 text-left font-mono font-normal">
                                  {change.field}
                                </th>
                                <td className="max-w-48 break-all pr-3 text-rose-700 dark:text-rose-300">{change.before ?? "—"}</td>
                                <td className="max-w-48 break-all text-emerald-800 dark:text-emerald-300">{change.after ?? "—"}</td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      </div>
                    </details>
                  )}
                </Card>
              </li>
            ))}
        </ol>
      )}
      {events.hasNextPage && (
        <Button variant="secondary" busy={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
          {t("activity.loadMore")}
        </Button>
      )}
    </div>
  );
}
