import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { ConsumptionCreate, ConsumptionUpdate } from "@/client";
import { applyProblemToForm, problemOf } from "@/lib/problem";
import { fakeApi, problem, renderWithI18n } from "@/test/render";

import { CONSUMPTION_FIELDS, ConsumptionForm, type ConsumptionFormValues } from "./ConsumptionForm";
import { LoginForm } from "./LoginForm";
import { RegisterForm } from "./RegisterForm";

const emptyRecord: ConsumptionFormValues = {
  kind: "",
  quantity: "",
  period_start: "",
  period_end: "",
  cost_minor: "",
  currency: "EUR",
  notes: "",
  meter_id: "",
};

describe("login form", () => {
  it("checks required fields with the generated schema and sends nothing", async () => {
    const api = fakeApi(() => ({ status: 500 }));
    renderWithI18n(<LoginForm onLoggedIn={vi.fn()} />);
    await userEvent.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByLabelText("Username or email")).toHaveAccessibleDescription("This field is required.");
    expect(screen.getByLabelText("Password")).toHaveAttribute("aria-invalid", "true");
    expect(api).not.toHaveBeenCalled();
  });

  it("says so when the password is wrong", async () => {
    fakeApi(() => ({ status: 401, body: problem(401, [], "Invalid username or password.") }));
    const onLoggedIn = vi.fn();
    renderWithI18n(<LoginForm onLoggedIn={onLoggedIn} />);
    await userEvent.type(screen.getByLabelText("Username or email"), "ana");
    await userEvent.type(screen.getByLabelText("Password"), "wrong password");
    await userEvent.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
    expect(onLoggedIn).not.toHaveBeenCalled();
  });

  it("speaks Spanish, validation messages included", async () => {
    fakeApi(() => ({ status: 500 }));
    renderWithI18n(<LoginForm onLoggedIn={vi.fn()} />, "es");
    await userEvent.click(screen.getByRole("button", { name: "Entrar" }));
    expect(await screen.findByLabelText("Usuario o correo electrónico")).toHaveAccessibleDescription("Este campo es obligatorio.");
  });
});

describe("registration form", () => {
  async function fill(username: string, password = "correct horse battery") {
    await userEvent.type(screen.getByLabelText("Username"), username);
    await userEvent.type(screen.getByLabelText("Email"), "ana@example.com");
    await userEvent.type(screen.getByLabelText("Password"), password);
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
  }

  it("rejects what the contract rejects before sending anything", async () => {
    const api = fakeApi(() => ({ status: 500 }));
    renderWithI18n(<RegisterForm onRegistered={vi.fn()} />);
    await fill("a b", "short");
    expect(await screen.findByLabelText("Password")).toHaveAccessibleDescription("Use at least 8 characters.");
    expect(screen.getByLabelText("Username")).toHaveAttribute("aria-invalid", "true");
    expect(api).not.toHaveBeenCalled();
  });

  it("shows a taken username (409) on the username field", async () => {
    const api = fakeApi(() => ({ status: 409, body: problem(409, [{ field: "username", message: "This username is already taken." }]) }));
    renderWithI18n(<RegisterForm onRegistered={vi.fn()} />);
    await fill("ana");
    expect(await screen.findByLabelText("Username")).toHaveAccessibleDescription("This username is already taken.");
    expect(screen.getByLabelText("Email")).not.toHaveAttribute("aria-invalid");
    expect(api).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(api.mock.calls[0]?.[0].data))).toEqual({
      username: "ana",
      email: "ana@example.com",
      password: "correct horse battery",
    });
  });

  it("shows a rule the contract cannot express (422) on the password field", async () => {
    fakeApi(() => ({
      status: 422,
      body: problem(422, [{ field: "password", message: "The password must not equal the username or the email." }]),
    }));
    renderWithI18n(<RegisterForm onRegistered={vi.fn()} />);
    await fill("anagarcia", "anagarcia");
    expect(await screen.findByLabelText("Password")).toHaveAccessibleDescription("The password must not equal the username or the email.");
  });
});

describe("consumption form", () => {
  it("converts what the user typed into the contract's body (major units → cost_minor)", async () => {
    const onSubmit = vi.fn<(body: ConsumptionCreate) => Promise<void>>(async () => {});
    renderWithI18n(<ConsumptionForm mode="create" initial={emptyRecord} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "electricity");
    await userEvent.type(screen.getByLabelText("Quantity"), "182,5");
    await userEvent.type(screen.getByLabelText("Period start"), "2026-10-01");
    await userEvent.type(screen.getByLabelText("Period end"), "2026-10-31");
    await userEvent.type(screen.getByLabelText(/^Cost/), "42.15");
    await userEvent.click(screen.getByRole("button", { name: "Save record" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({
      kind: "electricity",
      quantity: 182.5,
      period_start: "2026-10-01",
      period_end: "2026-10-31",
      cost_minor: 4215,
      currency: "EUR",
    } satisfies ConsumptionCreate);
  });

  it("refuses a quantity with more than 3 decimals and a cost with more than 2", async () => {
    const onSubmit = vi.fn(async () => {});
    renderWithI18n(<ConsumptionForm mode="create" initial={emptyRecord} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "water");
    await userEvent.type(screen.getByLabelText("Quantity"), "1.2345");
    await userEvent.type(screen.getByLabelText("Period start"), "2026-10-01");
    await userEvent.type(screen.getByLabelText("Period end"), "2026-10-31");
    await userEvent.type(screen.getByLabelText(/^Cost/), "42.155");
    await userEvent.click(screen.getByRole("button", { name: "Save record" }));
    expect(await screen.findByLabelText("Quantity")).toHaveAccessibleDescription("Use at most 3 decimals.");
    expect(screen.getByLabelText(/^Cost/)).toHaveAccessibleDescription("Use at most 2 decimals for EUR.");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("puts the server's field errors on the matching fields", async () => {
    const response = problem(422, [{ field: "meter_id", message: "This meter does not hold gas." }]);
    const api = fakeApi(() => ({ status: 422, body: response }));
    const { createConsumption } = await import("@/client");
    renderWithI18n(
      <ConsumptionForm
        mode="create"
        initial={emptyRecord}
        onCancel={vi.fn()}
        onSubmit={async (body, setError) => {
          try {
            await createConsumption({ body, throwOnError: true });
          } catch (error) {
            applyProblemToForm(problemOf(error)!, CONSUMPTION_FIELDS, setError);
          }
        }}
      />,
    );
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "gas");
    await userEvent.type(screen.getByLabelText("Quantity"), "30");
    await userEvent.type(screen.getByLabelText("Period start"), "2026-10-01");
    await userEvent.type(screen.getByLabelText("Period end"), "2026-10-31");
    await userEvent.click(screen.getByRole("button", { name: "Save record" }));
    expect(await screen.findByLabelText(/^Meter/)).toHaveAccessibleDescription("This meter does not hold gas.");
    expect(screen.getByLabelText("Period start")).not.toHaveAttribute("aria-invalid");
    expect(api).toHaveBeenCalledTimes(1);
  });

  it("says a period that ends before it starts before sending, even with another field wrong too", async () => {
    const onSubmit = vi.fn(async () => {});
    renderWithI18n(<ConsumptionForm mode="create" initial={emptyRecord} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "gas");
    await userEvent.type(screen.getByLabelText("Quantity"), "-5");
    await userEvent.type(screen.getByLabelText("Period start"), "2026-10-31");
    await userEvent.type(screen.getByLabelText("Period end"), "2026-10-01");
    await userEvent.click(screen.getByRole("button", { name: "Save record" }));
    expect(await screen.findByLabelText("Period end")).toHaveAccessibleDescription("The period cannot end before it starts.");
    expect(screen.getByLabelText("Quantity")).toHaveAttribute("aria-invalid", "true");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("tells the rule: a negative quantity is below the minimum, and a day before 2000 is out of range", async () => {
    const onSubmit = vi.fn(async () => {});
    renderWithI18n(<ConsumptionForm mode="create" initial={emptyRecord} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "gas");
    await userEvent.type(screen.getByLabelText("Quantity"), "-5");
    await userEvent.type(screen.getByLabelText("Period start"), "1999-12-01");
    await userEvent.type(screen.getByLabelText("Period end"), "2000-01-31");
    await userEvent.click(screen.getByRole("button", { name: "Save record" }));
    expect(await screen.findByLabelText("Quantity")).toHaveAccessibleDescription("Must be 0 or more.");
    expect(screen.getByLabelText("Period start")).toHaveAccessibleDescription("Use a date from 1 January 2000 to 31 December 2100.");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("refuses a period longer than 366 days, in Spanish too", async () => {
    const onSubmit = vi.fn(async () => {});
    renderWithI18n(<ConsumptionForm mode="create" initial={emptyRecord} onSubmit={onSubmit} onCancel={vi.fn()} />, "es");
    await userEvent.selectOptions(screen.getByLabelText("Tipo"), "water");
    await userEvent.type(screen.getByLabelText("Cantidad"), "30");
    await userEvent.type(screen.getByLabelText("Inicio del periodo"), "2025-01-01");
    await userEvent.type(screen.getByLabelText("Fin del periodo"), "2026-01-02");
    await userEvent.click(screen.getByRole("button", { name: "Guardar registro" }));
    expect(await screen.findByLabelText("Fin del periodo")).toHaveAccessibleDescription("Un periodo abarca como máximo 366 días.");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("checks the period on an edit too, where only the end changed", async () => {
    const initial: ConsumptionFormValues = { ...emptyRecord, kind: "electricity", quantity: "10", period_start: "2026-10-01", period_end: "2026-10-31" };
    const onSubmit = vi.fn(async () => {});
    renderWithI18n(<ConsumptionForm mode="edit" initial={initial} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.clear(screen.getByLabelText("Period end"));
    await userEvent.type(screen.getByLabelText("Period end"), "2026-09-30");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByLabelText("Period end")).toHaveAccessibleDescription("The period cannot end before it starts.");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("sends only what changed when editing, and null for a cleared cost", async () => {
    const initial: ConsumptionFormValues = {
      kind: "electricity",
      quantity: "182.5",
      period_start: "2026-10-01",
      period_end: "2026-10-31",
      cost_minor: "42.15",
      currency: "EUR",
      notes: "October bill",
      meter_id: "",
    };
    const onSubmit = vi.fn<(body: ConsumptionUpdate) => Promise<void>>(async () => {});
    renderWithI18n(<ConsumptionForm mode="edit" initial={initial} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.clear(screen.getByLabelText("Quantity"));
    await userEvent.type(screen.getByLabelText("Quantity"), "190.25");
    await userEvent.clear(screen.getByLabelText(/^Cost/));
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({ quantity: 190.25, cost_minor: null });
  });
});
