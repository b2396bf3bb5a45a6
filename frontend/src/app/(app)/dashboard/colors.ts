import type { ConsumptionKind } from "@/client";

/** One colour per kind, mid-tones that read on both the light and the dark background. */
export const KIND_COLORS: Record<ConsumptionKind, string> = {
  electricity: "#f59e0b",
  water: "#0ea5e9",
  gas: "#f43f5e",
  mobile_data: "#8b5cf6",
  voice: "#10b981",
  sms: "#64748b",
};
