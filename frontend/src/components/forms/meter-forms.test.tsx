import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { ConsumptionCreate, ConsumptionUpdate, Meter, MeterCreate, MeterUpdate, ReadingCreate, ReadingUpdate, TariffCreate, TopUpCreate } from "@/client";
import { showErrorOnForm } from "@/lib/errors";
import { fakeApi, problem, renderWithI18n } from "@/test/render";

import { ConsumptionForm, type ConsumptionFormValues } from "./ConsumptionForm";
import { emptyMeterValues, METER_FIELDS, MeterForm, valuesFromMeter } from "./MeterForm";
import { ReadingForm } from "./ReadingForm";
import { TariffForm } from "./TariffForm";
import { TopUpForm } from "./TopUpForm";

const t = (key: string) => key;

function meter(overrides: Partial<Meter>): Meter {
  return {
    id: "00000000-0000-4000-8000-000000000001",
    kind: "electricity",
    name: "Home",
    identifier: "ES-123",
    currency: "EUR",
    monthly_budget_minor: null,
    plan: null,
    balance_minor: null,
    low_balance_minor: null,
    owner_id: "00000000-0000-4000-8000-0000000000ff",
    version: 1,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

const line = meter({
  id: "00000000-0000-4000-8000-000000000002",
  kind: "mobile_line",
  name: "My phone",
  identifier: "+56912345678",
  monthly_budget_minor: 2000,
  plan: { data_mb: 10240, voice_minutes: 300, sms: 100, cycle_start_day: 5, data_mb_price_minor: 1, voice_minute_price_minor: 5, sms_price_minor: 10 },
  balance_minor: 0,
});

describe("meter form", () => {
  async function fillLine() {
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "mobile_line");
    await userEvent.type(screen.getByLabelText("Name"), "My phone");
    await userEvent.type(screen.getByLabelText("Phone number"), "+56912345678");
    await userEvent.type(screen.getByLabelText("Data included (MB)"), "10240");
    await userEvent.type(screen.getByLabelText("Minutes included"), "300");
    await userEvent.type(screen.getByLabelText("SMS included"), "100");
    await userEvent.clear(screen.getByLabelText("Cycle starts on day"));
    await userEvent.type(screen.getByLabelText("Cycle starts on day"), "5");
  }

  it("sends a mobile line with its plan, prices turned into minor units", async () => {
    const onSubmit = vi.fn<(body: MeterCreate) => Promise<void>>(async () => {});
    renderWithI18n(<MeterForm mode="create" initial={emptyMeterValues("EUR")} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await fillLine();
    await userEvent.type(screen.getByLabelText(/^Price per extra MB/), "0.01");
    await userEvent.type(screen.getByLabelText(/^Price per extra SMS/), "0,10");
    await userEvent.type(screen.getByLabelText(/^Monthly budget/), "20");
    await userEvent.click(screen.getByRole("button", { name: "Add meter" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({
      kind: "mobile_line",
      name: "My phone",
      identifier: "+56912345678",
      currency: "EUR",
      monthly_budget_minor: 2000,
      // The generated schema fills in the contract's default for the price left empty.
      plan: { data_mb: 10240, voice_minutes: 300, sms: 100, cycle_start_day: 5, data_mb_price_minor: 1, voice_minute_price_minor: 0, sms_price_minor: 10 },
    } satisfies MeterCreate);
  });

  it("asks for no plan for a utility meter", async () => {
    const onSubmit = vi.fn<(body: MeterCreate) => Promise<void>>(async () => {});
    renderWithI18n(<MeterForm mode="create" initial={emptyMeterValues("EUR")} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "water");
    expect(screen.queryByRole("group", { name: "Plan" })).not.toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Name"), "Garden");
    await userEvent.type(screen.getByLabelText("Serial number"), "W-77");
    await userEvent.click(screen.getByRole("button", { name: "Add meter" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({ kind: "water", name: "Garden", identifier: "W-77", currency: "EUR" });
  });

  it("checks the plan with the generated schema and sends nothing", async () => {
    const onSubmit = vi.fn(async () => {});
    renderWithI18n(<MeterForm mode="create" initial={emptyMeterValues("EUR")} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "mobile_line");
    await userEvent.type(screen.getByLabelText("Name"), "Phone");
    await userEvent.type(screen.getByLabelText("Phone number"), "+56 9 1234");
    await userEvent.type(screen.getByLabelText("Data included (MB)"), "1.5");
    await userEvent.type(screen.getByLabelText("Minutes included"), "300");
    await userEvent.clear(screen.getByLabelText("Cycle starts on day"));
    await userEvent.type(screen.getByLabelText("Cycle starts on day"), "31");
    await userEvent.type(screen.getByLabelText(/^Price per extra minute/), "0.055");
    await userEvent.click(screen.getByRole("button", { name: "Add meter" }));
    expect(await screen.findByLabelText("Data included (MB)")).toHaveAccessibleDescription("Use a whole number.");
    expect(screen.getByLabelText("SMS included")).toHaveAccessibleDescription("This field is required.");
    expect(screen.getByLabelText("Cycle starts on day")).toHaveAccessibleDescription("Must be 28 or less.");
    expect(screen.getByLabelText("Phone number")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText(/^Price per extra minute/)).toHaveAccessibleDescription("Use at most 2 decimals for EUR.");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("puts the server's 409 and 422 field errors on the identifier and the plan fields", async () => {
    const api = fakeApi(() => ({
      status: 422,
      body: problem(422, [
        { field: "identifier", message: "Not a valid phone number in E.164." },
        { field: "body.plan.data_mb", message: "Too much data." },
      ]),
    }));
    const { createMeter } = await import("@/client");
    renderWithI18n(
      <MeterForm
        mode="create"
        initial={emptyMeterValues("EUR")}
        onCancel={vi.fn()}
        onSubmit={async (body, setError) => {
          try {
            await createMeter({ body, throwOnError: true });
          } catch (error) {
            showErrorOnForm(error, METER_FIELDS, setError, t as never);
          }
        }}
      />,
    );
    await fillLine();
    await userEvent.click(screen.getByRole("button", { name: "Add meter" }));
    expect(await screen.findByLabelText("Phone number")).toHaveAccessibleDescription("Not a valid phone number in E.164.");
    expect(screen.getByLabelText("Data included (MB)")).toHaveAccessibleDescription("Too much data.");
    expect(screen.getByLabelText("Name")).not.toHaveAttribute("aria-invalid");
    expect(api).toHaveBeenCalledTimes(1);
  });

  it("sends only what changed when editing: a cleared budget is null, a changed plan goes whole", async () => {
    const onSubmit = vi.fn<(body: MeterUpdate) => Promise<void>>(async () => {});
    renderWithI18n(<MeterForm mode="edit" initial={valuesFromMeter(line, "en-GB")} onSubmit={onSubmit} onCancel={vi.fn()} />);
    // Kind and currency are fixed once the meter exists.
    expect(screen.getByLabelText("Kind")).toHaveAttribute("readonly");
    expect(screen.getByLabelText("Kind")).toHaveValue("Mobile line");
    await userEvent.clear(screen.getByLabelText(/^Monthly budget/));
    await userEvent.clear(screen.getByLabelText("Minutes included"));
    await userEvent.type(screen.getByLabelText("Minutes included"), "500");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({
      monthly_budget_minor: null,
      plan: { data_mb: 10240, voice_minutes: 500, sms: 100, cycle_start_day: 5, data_mb_price_minor: 1, voice_minute_price_minor: 5, sms_price_minor: 10 },
    });
  });

  it("sets a line's low-balance threshold in major units, and clears it back to the default with null", async () => {
    const onSubmit = vi.fn<(body: MeterUpdate) => Promise<void>>(async () => {});
    const { unmount } = renderWithI18n(<MeterForm mode="edit" initial={valuesFromMeter(line, "en-GB")} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.type(screen.getByLabelText(/^Low-balance alert below/), "7.50");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({ low_balance_minor: 750 });
    unmount();

    const withThreshold = { ...line, low_balance_minor: 750 };
    renderWithI18n(<MeterForm mode="edit" initial={valuesFromMeter(withThreshold, "en-GB")} onSubmit={onSubmit} onCancel={vi.fn()} />);
    expect(screen.getByLabelText(/^Low-balance alert below/)).toHaveValue("7.50");
    await userEvent.clear(screen.getByLabelText(/^Low-balance alert below/));
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(2));
    expect(onSubmit.mock.calls[1]?.[0]).toEqual({ low_balance_minor: null });
  });

  it("offers no low-balance threshold for a utility meter", () => {
    renderWithI18n(<MeterForm mode="edit" initial={valuesFromMeter(meter({}), "en-GB")} onSubmit={vi.fn()} onCancel={vi.fn()} />);
    expect(screen.queryByLabelText(/^Low-balance alert below/)).toBeNull();
  });

  it("says so when nothing changed", async () => {
    const onSubmit = vi.fn(async () => {});
    renderWithI18n(<MeterForm mode="edit" initial={valuesFromMeter(line, "en-GB")} onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Nothing to save");
    expect(onSubmit).not.toHaveBeenCalled();
  });
});

describe("tariff, top-up and reading forms", () => {
  it("sends a tariff's prices in minor units with up to 4 more decimals", async () => {
    const onSubmit = vi.fn<(body: TariffCreate) => Promise<boolean>>(async () => true);
    renderWithI18n(<TariffForm currency="EUR" unit="kWh" onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText("Valid from"), "2026-01-01");
    await userEvent.type(screen.getByLabelText("Price per kWh"), "0,1523");
    await userEvent.type(screen.getByLabelText(/^Fixed charge per day/), "0.25");
    await userEvent.click(screen.getByRole("button", { name: "Add tariff" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({ valid_from: "2026-01-01", unit_price_minor: 15.23, fixed_daily_minor: 25 });
    // Added: the form is ready for the next one.
    await waitFor(() => expect(screen.getByLabelText("Price per kWh")).toHaveValue(""));
  });

  it("refuses a tariff price finer than the contract allows", async () => {
    const onSubmit = vi.fn(async () => true);
    renderWithI18n(<TariffForm currency="EUR" unit="kWh" onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText("Valid from"), "2026-01-01");
    await userEvent.type(screen.getByLabelText("Price per kWh"), "0.1234567");
    await userEvent.click(screen.getByRole("button", { name: "Add tariff" }));
    expect(await screen.findByLabelText("Price per kWh")).toHaveAccessibleDescription("Use at most 6 decimals for EUR.");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("tops up in major units", async () => {
    const onSubmit = vi.fn<(body: TopUpCreate) => Promise<boolean>>(async () => true);
    renderWithI18n(<TopUpForm currency="EUR" onSubmit={onSubmit} />);
    await userEvent.click(screen.getByRole("button", { name: "Top up" }));
    expect(await screen.findByLabelText("Amount (EUR)")).toHaveAccessibleDescription("This field is required.");
    await userEvent.type(screen.getByLabelText("Amount (EUR)"), "12,50");
    await userEvent.click(screen.getByRole("button", { name: "Top up" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({ amount_minor: 1250 });
  });

  it("asks for the old meter's final index only for a replacement", async () => {
    const onSubmit = vi.fn<(body: ReadingCreate) => Promise<boolean>>(async () => true);
    renderWithI18n(<ReadingForm mode="create" unit="kWh" onSubmit={onSubmit} />);
    expect(screen.queryByLabelText(/^Final index of the old meter/)).not.toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Date"), "2026-02-01");
    await userEvent.type(screen.getByLabelText("Index (kWh)"), "12,5");
    await userEvent.click(screen.getByLabelText("The meter was replaced"));
    await userEvent.type(screen.getByLabelText(/^Final index of the old meter/), "98765.4");
    await userEvent.click(screen.getByRole("button", { name: "Save reading" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({ date: "2026-02-01", index_value: 12.5, replacement: true, replaced_meter_final_index: 98765.4 });
  });

  it("corrects a reading with only what changed; no longer a replacement clears the final index", async () => {
    const onSubmit = vi.fn<(body: ReadingUpdate) => Promise<boolean>>(async () => true);
    renderWithI18n(
      <ReadingForm
        mode="edit"
        unit="m3"
        initial={{ date: "2026-02-01", index_value: "12.5", replacement: true, replaced_meter_final_index: "900" }}
        onSubmit={onSubmit}
        onCancel={vi.fn()}
      />,
    );
    await userEvent.click(screen.getByLabelText("The meter was replaced"));
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({ replacement: false, replaced_meter_final_index: null });
  });
});

describe("the record form's meter picker", () => {
  const empty: ConsumptionFormValues = { kind: "", quantity: "", period_start: "", period_end: "", cost_minor: "", currency: "EUR", notes: "", meter_id: "" };
  const meters = [meter({}), line, meter({ id: "00000000-0000-4000-8000-000000000003", kind: "gas", name: "Boiler", identifier: "G-1", currency: "USD" })];

  it("offers only meters that hold the chosen kind, and sends the one chosen", async () => {
    const onSubmit = vi.fn<(body: ConsumptionCreate) => Promise<void>>(async () => {});
    renderWithI18n(<ConsumptionForm mode="create" initial={empty} meters={meters} onSubmit={onSubmit} onCancel={vi.fn()} />);
    const picker = screen.getByLabelText(/^Meter/);
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "voice");
    expect(
      within(picker)
        .getAllByRole("option")
        .map((option) => option.textContent),
    ).toEqual(["No meter", "My phone (+56912345678)"]);
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "gas");
    expect(
      within(picker)
        .getAllByRole("option")
        .map((option) => option.textContent),
    ).toEqual(["No meter", "Boiler (G-1)"]);
    await userEvent.selectOptions(picker, "Boiler (G-1)");
    // The record takes the meter's currency, and its cost may come from the meter's tariffs.
    expect(screen.getByLabelText("Currency")).toHaveValue("USD");
    expect(screen.getByLabelText(/^Cost/)).toHaveAccessibleDescription(/price the record from the meter's tariffs/);
    await userEvent.type(screen.getByLabelText("Quantity"), "30");
    await userEvent.type(screen.getByLabelText("Period start"), "2026-10-01");
    await userEvent.type(screen.getByLabelText("Period end"), "2026-10-31");
    await userEvent.click(screen.getByRole("button", { name: "Save record" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({
      kind: "gas",
      quantity: 30,
      period_start: "2026-10-01",
      period_end: "2026-10-31",
      currency: "USD",
      meter_id: "00000000-0000-4000-8000-000000000003",
    });
  });

  it("lets go of a meter that cannot hold the new kind", async () => {
    renderWithI18n(
      <ConsumptionForm
        mode="create"
        initial={{ ...empty, kind: "electricity", meter_id: meters[0]!.id }}
        meters={meters}
        onSubmit={vi.fn()}
        onCancel={vi.fn()}
      />,
    );
    const picker = screen.getByLabelText(/^Meter/);
    expect(picker).toHaveValue(meters[0]!.id);
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "sms");
    expect(picker).toHaveValue("");
  });

  it("detaches a record from its meter with null", async () => {
    const onSubmit = vi.fn<(body: ConsumptionUpdate) => Promise<void>>(async () => {});
    const initial: ConsumptionFormValues = {
      ...empty,
      kind: "electricity",
      quantity: "10",
      period_start: "2026-10-01",
      period_end: "2026-10-31",
      meter_id: meters[0]!.id,
    };
    renderWithI18n(<ConsumptionForm mode="edit" initial={initial} meters={meters} costFromTariff onSubmit={onSubmit} onCancel={vi.fn()} />);
    expect(screen.getByLabelText(/^Cost/)).toHaveAccessibleDescription(/Priced from the meter's tariffs/);
    await userEvent.selectOptions(screen.getByLabelText(/^Meter/), "No meter");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0]).toEqual({ meter_id: null });
  });
});
