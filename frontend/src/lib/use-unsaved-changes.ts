"use client";

import { useCallback, useEffect } from "react";
import { useForm, type FieldValues, type UseFormProps, type UseFormReturn } from "react-hook-form";

import { useI18n } from "@/lib/i18n/I18nProvider";

/**
 * While a form holds edits that were not saved, leaving asks first: a reload, closing the tab or
 * another site (the browser's own prompt) and a link inside the app (a confirmation). Returns a
 * guard for the form's own ways out (Cancel): true when it may leave.
 */
export function useUnsavedChangesPrompt(dirty: boolean): () => boolean {
  const { t } = useI18n();
  const message = t("form.unsaved");

  useEffect(() => {
    if (!dirty) return;
    const beforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
    };
    // Capture phase on the document: runs before the app's link handlers, and stops them (and
    // the browser) when the user chooses to stay.
    const click = (event: MouseEvent) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const link = (event.target as Element | null)?.closest?.("a[href]");
      if (!(link instanceof HTMLAnchorElement) || link.target === "_blank" || link.origin !== window.location.origin) return;
      if (link.pathname === window.location.pathname && link.search === window.location.search) return;
      if (!window.confirm(message)) {
        event.preventDefault();
        event.stopPropagation();
      }
    };
    window.addEventListener("beforeunload", beforeUnload);
    document.addEventListener("click", click, true);
    return () => {
      window.removeEventListener("beforeunload", beforeUnload);
      document.removeEventListener("click", click, true);
    };
  }, [dirty, message]);

  return useCallback(() => !dirty || window.confirm(message), [dirty, message]);
}

/**
 * A form whose unsaved edits are guarded: `useForm`, and while it is dirty (and neither sending
 * nor sent) leaving asks first. `mayLeave` guards the form's own ways out (Cancel).
 */
export function useGuardedForm<V extends FieldValues, Out>(props: UseFormProps<V, unknown, Out>): UseFormReturn<V, unknown, Out> & { mayLeave: () => boolean } {
  const form = useForm<V, unknown, Out>(props);
  const { isDirty, isSubmitSuccessful, isSubmitting } = form.formState;
  const mayLeave = useUnsavedChangesPrompt(isDirty && !isSubmitSuccessful && !isSubmitting);
  return { ...form, mayLeave };
}
