import { useEffect } from "react";

/** The tab title of a page, in the UI language ("Consumptions · Consumo"). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Consumo`;
  }, [title]);
}
