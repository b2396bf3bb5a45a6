import { useQuery } from "@tanstack/react-query";

import { listMeters, type Meter } from "@/client";
import { listMetersQueryKey } from "@/client/@tanstack/react-query.gen";

/** At most this many pages of 100 for a picker; nobody chooses among thousands in a <select>. */
const MAX_PAGES = 10;

/** Every meter of the caller, by name, for the record forms' meter picker. */
export function useMeterOptions() {
  return useQuery({
    // Under list_meters' generated key, so whatever invalidates the meter lists refreshes it too.
    queryKey: [...listMetersQueryKey({ query: { limit: 100 } }), "every-page"],
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
