import { useQuery } from "@tanstack/react-query";

import { listMeters, type Meter } from "@/client";

import { METER_OPTIONS_KEY } from "./meters";

/** At most this many pages of 100 for a picker; nobody chooses among thousands in a <select>. */
const MAX_PAGES = 10;

/** Every meter of the caller, by name, for the record forms' meter picker. */
export function useMeterOptions() {
  return useQuery({
    queryKey: METER_OPTIONS_KEY,
    queryFn: async ({ signal }): Promise<Meter[]> => {
      const meters: Meter[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const { data } = await listMeters({ query: { limit: 100, cursor }, signal, throwOnError: true });
        meters.push(...data.items);
        if (!data.next_cursor) break;
        cursor = data.next_cursor;
      }
      return meters;
    },
    staleTime: 30_000,
  });
}
