"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { toast } from "sonner";

import {
  createInvitation,
  removeMember,
  revokeInvitation,
  transferOwnership,
  updateMember,
  type Invitation,
  type InvitationCreated,
  type Member,
  type Role,
} from "@/client";
import {
  getCurrentUserQueryKey,
  getTenantOptions,
  listInvitationsOptions,
  listInvitationsQueryKey,
  listMembersOptions,
  listMembersQueryKey,
} from "@/client/@tanstack/react-query.gen";
import { DataTable, rowActionClass, type Column } from "@/components/DataTable";
import { Alert, Button, ButtonLink, Card, ConfirmDialog, Loading, PageHeader, SelectField, TextField } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { describeError } from "@/lib/errors";
import { formatTimestamp } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { everyQueryOf, invalidate } from "@/lib/queries";
import { useTitle } from "@/lib/use-title";
import { ifMatch } from "@/lib/use-versioned-resource";

const ROLES: readonly Role[] = ["owner", "admin", "member", "viewer"];

type Pending = { kind: "deactivate" | "remove" | "transfer"; member: Member } | { kind: "revoke"; invitation: Invitation };

export default function TeamPage() {
  const { t, intl } = useI18n();
  const { user } = useAuth();
  const queryClient = useQueryClient();
  useTitle(t("team.title"));
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const role = user?.role;
  const manages = role === "owner" || role === "admin";

  const tenant = useQuery(getTenantOptions());
  const members = useQuery({ ...listMembersOptions({ query: { limit: 100 } }), enabled: role !== undefined && role !== "member" });
  const invitations = useQuery({ ...listInvitationsOptions({ query: { status: "pending", limit: 100 } }), enabled: manages });

  if (role === "member") {
    return (
      <div className="mx-auto max-w-5xl space-y-6">
        <PageHeader title={t("team.title")} />
        <Alert tone="info">{t("team.membersOnly")}</Alert>
      </div>
    );
  }
  if (members.isPending || tenant.isPending) return <Loading label={t("common.loading")} />;
  if (members.isError) return <Alert>{describeError(members.error, t)}</Alert>;
  if (tenant.isError) return <Alert>{describeError(tenant.error, t)}</Alert>;

  function mayManage(member: Member): boolean {
    if (!manages || member.id === user?.id) return false;
    return role === "owner" || (member.role !== "owner" && member.role !== "admin");
  }

  async function refreshTeam() {
    await invalidate(queryClient, [everyQueryOf(listMembersQueryKey), everyQueryOf(listInvitationsQueryKey)]);
  }

  async function changeRole(member: Member, next: Role) {
    try {
      await updateMember({
        path: { member_id: member.id },
        headers: ifMatch(member),
        body: { role: next },
        throwOnError: true,
      });
      toast.success(t("team.roleChanged", { username: member.username, role: t(`role.${next}`) }));
    } catch (error) {
      toast.error(describeError(error, t));
    }
    await refreshTeam();
  }

  async function reactivate(member: Member) {
    try {
      await updateMember({
        path: { member_id: member.id },
        headers: ifMatch(member),
        body: { is_active: true },
        throwOnError: true,
      });
      toast.success(t("team.reactivated", { username: member.username }));
    } catch (error) {
      toast.error(describeError(error, t));
    }
    await refreshTeam();
  }

  async function confirm() {
    if (!pending) return;
    setBusy(true);
    try {
      if (pending.kind === "revoke") {
        await revokeInvitation({ path: { invitation_id: pending.invitation.id }, throwOnError: true });
        toast.success(t("team.revoked", { email: pending.invitation.email }));
      } else {
        const { member } = pending;
        if (pending.kind === "deactivate") {
          await updateMember({ path: { member_id: member.id }, headers: ifMatch(member), body: { is_active: false }, throwOnError: true });
          toast.success(t("team.deactivated", { username: member.username }));
        } else if (pending.kind === "remove") {
          await removeMember({ path: { member_id: member.id }, headers: ifMatch(member), throwOnError: true });
          toast.success(t("team.removed", { username: member.username }));
        } else {
          await transferOwnership({ body: { member_id: member.id }, throwOnError: true });
          toast.success(t("team.transferred", { username: member.username }));
          await queryClient.invalidateQueries({ queryKey: getCurrentUserQueryKey() });
        }
      }
    } catch (error) {
      toast.error(describeError(error, t));
    } finally {
      setBusy(false);
      setPending(null);
      await refreshTeam();
    }
  }

  const columns: Column<Member>[] = [
    {
      key: "member",
      header: t("team.member"),
      card: "title",
      cell: (member) => (
        <div className="min-w-0">
          <p className="font-medium">
            {member.username}
            {member.id === user?.id && <span className="ml-1 text-slate-500 dark:text-slate-400">({t("team.you")})</span>}
          </p>
          <p className="truncate text-slate-600 dark:text-slate-400">{member.email}</p>
        </div>
      ),
    },
    {
      key: "role",
      header: t("team.role"),
      cell: (member) =>
        mayManage(member) ? (
          <label className="block">
            <span className="sr-only">{t("team.roleOf", { username: member.username })}</span>
            <select
              value={member.role}
              onChange={(event) => void changeRole(member, event.target.value as Role)}
              className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
            >
              {ROLES.filter((r) => role === "owner" || (r !== "owner" && r !== "admin")).map((r) => (
                <option key={r} value={r}>
                  {t(`role.${r}`)}
                </option>
              ))}
            </select>
          </label>
        ) : (
          t(`role.${member.role}`)
        ),
    },
    {
      key: "status",
      header: t("team.status"),
      cell: (member) => (member.is_active ? t("team.active") : t("team.inactive")),
    },
    {
      key: "last",
      header: t("team.lastSignIn"),
      cell: (member) => (member.last_login_at ? formatTimestamp(member.last_login_at, intl) : t("team.never")),
    },
    {
      key: "actions",
      header: t("team.actions"),
      headerHidden: true,
      card: "actions",
      cell: (member) =>
        mayManage(member) ? (
          <div className="flex flex-wrap gap-2">
            {member.is_active ? (
              <button type="button" className={rowActionClass.edit} onClick={() => setPending({ kind: "deactivate", member })}>
                {t("team.deactivate")} <span className="sr-only">{member.username}</span>
              </button>
            ) : (
              <button type="button" className={rowActionClass.edit} onClick={() => void reactivate(member)}>
                {t("team.reactivate")} <span className="sr-only">{member.username}</span>
              </button>
            )}
            {role === "owner" && member.is_active && member.role !== "owner" && (
              <button type="button" className={rowActionClass.edit} onClick={() => setPending({ kind: "transfer", member })}>
                {t("team.makeOwner")} <span className="sr-only">{member.username}</span>
              </button>
            )}
            <button type="button" className={rowActionClass.danger} onClick={() => setPending({ kind: "remove", member })}>
              {t("team.remove")} <span className="sr-only">{member.username}</span>
            </button>
          </div>
        ) : null,
    },
  ];

  const dialog = pending && dialogText(pending, t);
  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <PageHeader
        title={t("team.title")}
        subtitle={t("team.subtitle", { tenant: tenant.data.name })}
        actions={
          <div className="flex flex-wrap gap-2">
            {manages && (
              <ButtonLink href="/activity" variant="secondary">
                {t("nav.activity")}
              </ButtonLink>
            )}
            {manages && (
              <ButtonLink href="/webhooks" variant="secondary">
                {t("nav.webhooks")}
              </ButtonLink>
            )}
            <ButtonLink href="/organisation" variant="secondary">
              {t("nav.organisation")}
            </ButtonLink>
          </div>
        }
      />
      <section aria-labelledby="members-heading" className="space-y-3">
        <h2 id="members-heading" className="text-lg font-semibold">
          {t("team.members")}
        </h2>
        <DataTable caption={t("team.members")} rows={members.data.items} columns={columns} rowKey={(member) => member.id} />
      </section>
      {manages && <InviteCard ownerInvites={role === "owner"} onInvited={refreshTeam} />}
      {manages && (
        <Card aria-labelledby="pending-heading">
          <h2 id="pending-heading" className="mb-3 text-lg font-semibold">
            {t("team.pending")}
          </h2>
          {invitations.isError && <Alert>{describeError(invitations.error, t)}</Alert>}
          {invitations.data && invitations.data.items.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">{t("team.noPending")}</p>}
          {invitations.data && invitations.data.items.length > 0 && (
            <ul className="divide-y divide-slate-200 dark:divide-slate-800">
              {invitations.data.items.map((invitation) => (
                <li key={invitation.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                  <span className="min-w-0 break-words">
                    <span className="break-all font-medium">{invitation.email}</span> · {t(`role.${invitation.role}`)} · {t("team.expires")}{" "}
                    {formatTimestamp(invitation.expires_at, intl)}
                  </span>
                  <button type="button" className={rowActionClass.danger} onClick={() => setPending({ kind: "revoke", invitation })}>
                    {t("team.revoke")} <span className="sr-only">{invitation.email}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </Card>
      )}
      <ConfirmDialog
        open={pending !== null}
        title={dialog?.title ?? ""}
        confirmLabel={dialog?.confirm ?? ""}
        cancelLabel={t("common.cancel")}
        busy={busy}
        onCancel={() => setPending(null)}
        onConfirm={() => void confirm()}
      >
        <p>{dialog?.body}</p>
      </ConfirmDialog>
    </div>
  );
}

type T = ReturnType<typeof useI18n>["t"];

function dialogText(pending: Pending, t: T): { title: string; body: string; confirm: string } {
  if (pending.kind === "revoke") {
    const email = pending.invitation.email;
    return { title: t("team.confirmRevokeTitle", { email }), body: t("team.confirmRevokeBody"), confirm: t("team.revoke") };
  }
  const username = pending.member.username;
  if (pending.kind === "deactivate")
    return { title: t("team.confirmDeactivateTitle", { username }), body: t("team.confirmDeactivateBody"), confirm: t("team.deactivate") };
  if (pending.kind === "remove") return { title: t("team.confirmRemoveTitle", { username }), body: t("team.confirmRemoveBody"), confirm: t("team.remove") };
  return { title: t("team.confirmTransferTitle", { username }), body: t("team.confirmTransferBody", { username }), confirm: t("team.makeOwner") };
}

function InviteCard({ ownerInvites, onInvited }: { ownerInvites: boolean; onInvited: () => Promise<void> }) {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<"admin" | "member" | "viewer">("member");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const linkId = useId();

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setSending(true);
    setError(null);
    try {
      const response = await createInvitation({ body: { email, role }, throwOnError: true });
      setCreated(response.data);
      setEmail("");
      await onInvited();
    } catch (failure) {
      setError(describeError(failure, t));
    } finally {
      setSending(false);
    }
  }

  async function copy() {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.accept_url);
      toast.success(t("team.copied"));
    } catch (failure) {
      toast.error(describeError(failure, t));
    }
  }

  return (
    <Card aria-labelledby="invite-heading">
      <h2 id="invite-heading" className="text-lg font-semibold">
        {t("team.invite")}
      </h2>
      <p className="mb-4 mt-1 text-sm text-slate-600 dark:text-slate-400">{t("team.inviteIntro")}</p>
      <form onSubmit={(event) => void submit(event)} className="grid gap-4 sm:grid-cols-[1fr_12rem_auto] sm:items-end">
        <TextField
          label={t("team.email")}
          type="email"
          required
          autoComplete="off"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={error ?? undefined}
        />
        <SelectField label={t("team.role")} value={role} onChange={(event) => setRole(event.target.value as typeof role)}>
          {ownerInvites && <option value="admin">{t("role.admin")}</option>}
          <option value="member">{t("role.member")}</option>
          <option value="viewer">{t("role.viewer")}</option>
        </SelectField>
        <Button type="submit" busy={sending}>
          {t("team.sendInvite")}
        </Button>
      </form>
      {created && (
        <div className="mt-4 space-y-2 rounded-lg bg-emerald-50 p-3 text-sm dark:bg-emerald-950">
          <label htmlFor={linkId} className="font-medium">
            {t("team.inviteLink", { email: created.email })}
          </label>
          <input
            id={linkId}
            readOnly
            value={created.accept_url}
            className="block w-full rounded-md border border-slate-300 bg-white px-2 py-1 font-mono text-xs dark:border-slate-700 dark:bg-slate-900"
            onFocus={(event) => event.target.select()}
          />
          <p className="text-slate-700 dark:text-slate-300">
            {t("team.inviteLinkHint")} {created.emailed && t("team.inviteEmailed", { email: created.email })}
          </p>
          <Button variant="secondary" onClick={() => void copy()}>
            {t("team.copy")}
          </Button>
        </div>
      )}
    </Card>
  );
}
