import { render } from "@testing-library/react";
import { AxiosError, AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from "axios";
import type { ReactElement } from "react";
import { vi } from "vitest";

import { client } from "@/client/client.gen";
import { I18nProvider } from "@/lib/i18n/I18nProvider";
import type { Locale } from "@/lib/i18n/messages";

export function renderWithI18n(ui: ReactElement, locale: Locale = "en") {
  return render(<I18nProvider initialLocale={locale}>{ui}</I18nProvider>);
}

interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Replaces the network under the generated SDK's one Axios instance: every request goes through
 * the real SDK, validators and interceptors, and gets `respond(config)` back.
 */
export function fakeApi(respond: (config: InternalAxiosRequestConfig) => FakeResponse) {
  const adapter = vi.fn<AxiosAdapter>(async (config) => {
    const { status, body, headers } = respond(config);
    const response = {
      status,
      statusText: String(status),
      data: body ?? "",
      headers: new AxiosHeaders({ "content-type": status >= 400 ? "application/problem+json" : "application/json", ...headers }),
      config,
      request: {},
    };
    if (status >= 400) {
      throw new AxiosError(`Request failed with status code ${status}`, AxiosError.ERR_BAD_REQUEST, config, {}, response);
    }
    return response;
  });
  client.instance.defaults.adapter = adapter;
  return adapter;
}

export function problem(status: number, errors: Array<{ field: string; message: string }>, detail?: string) {
  return { type: "about:blank", title: "Problem", status, detail: detail ?? errors[0]?.message ?? "Problem", errors };
}
